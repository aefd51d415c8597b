package dev.kilonode.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The instance types kilonode supports. Sizes are AWS's published figures:
 * https://aws.amazon.com/ec2/previous-generation/ (m3: "m3.medium 1 vCPU, 3.75 GiB, 1 x 4 SSD" ...
 * "m3.xlarge 4 vCPU, 15 GiB, 2 x 40 SSD") and https://aws.amazon.com/ec2/instance-types/ (m5, m5d, c5, r5, i3).
 * Report 000 ran the TF controller and the master on m3.xlarge and 1,000 workers on m3.medium.
 */
public final class InstanceTypes {

    private static final Map<String, InstanceType> CATALOG = new LinkedHashMap<>();

    static {
        add("m3.medium", 1, 3.75, 1, 4, false);
        add("m3.large", 2, 7.5, 1, 32, false);
        add("m3.xlarge", 4, 15, 2, 40, false);
        add("m3.2xlarge", 8, 30, 2, 80, false);
        add("m5.large", 2, 8, 0, 0, false);
        add("m5.xlarge", 4, 16, 0, 0, false);
        add("m5.2xlarge", 8, 32, 0, 0, false);
        add("m5.4xlarge", 16, 64, 0, 0, false);
        add("m5d.large", 2, 8, 1, 75, true);
        add("m5d.xlarge", 4, 16, 1, 150, true);
        add("m5d.2xlarge", 8, 32, 1, 300, true);
        add("m5d.4xlarge", 16, 64, 2, 300, true);
        add("c5.large", 2, 4, 0, 0, false);
        add("c5.xlarge", 4, 8, 0, 0, false);
        add("c5.2xlarge", 8, 16, 0, 0, false);
        add("r5.large", 2, 16, 0, 0, false);
        add("r5.xlarge", 4, 32, 0, 0, false);
        add("i3.large", 2, 15.25, 1, 475, true);
        add("i3.xlarge", 4, 30.5, 1, 950, true);
        add("i3.2xlarge", 8, 61, 1, 1900, true);
    }

    private InstanceTypes() {
    }

    private static void add(String name, int vcpus, double memGiB, int disks, int diskGb, boolean nvme) {
        CATALOG.put(name, new InstanceType(name, vcpus, memGiB, disks, diskGb, nvme));
    }

    public static Optional<InstanceType> find(String name) {
        return Optional.ofNullable(CATALOG.get(name));
    }

    public static InstanceType require(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown instance type " + name));
    }

    public static List<String> names() {
        return List.copyOf(CATALOG.keySet());
    }

    public static Set<String> families() {
        Set<String> families = new TreeSet<>();
        CATALOG.values().forEach(t -> families.add(t.family()));
        return families;
    }

    /** Types with at least one instance-store SSD: the ones etcd can live on (report 001). */
    public static List<String> withInstanceStore() {
        return CATALOG.values().stream().filter(InstanceType::hasInstanceStore).map(InstanceType::name).toList();
    }
}
