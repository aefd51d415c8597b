package dev.kilonode.release;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One row of the network compatibility table ({@code release/network-releases.json}): what one OpenSDN release
 * runs with. Every field is cited in {@link #sources()} (upstream file or commit); a test keeps every field cited.
 */
public record NetworkRelease(
        String id,
        String project,
        String registry,
        NodeImages nodeImages,
        List<String> controllerImages,
        String tagPattern,
        String defaultTag,
        List<String> testedKubernetesMinors,
        MinorRange kubernetesMinors,
        String ubuntuRelease,
        Kernel kernel,
        Deployer deployer,
        Ansible ansible,
        Overlay overlay,
        int workersPerControllerGuidance,
        Map<String, String> sources) {

    /** The images of the release's Kubernetes manifest (contrail-non-nested/standalone-kubernetes.yaml). */
    public record NodeImages(String nodeInit, String status, String vrouterKernelInit, String cniInit,
                             String vrouterAgent, String nodemgr, String provisioner, String kubeManager) {
        public List<String> all() {
            return List.of(nodeInit, status, vrouterKernelInit, cniInit, vrouterAgent, nodemgr, provisioner, kubeManager);
        }
    }

    /** Kubernetes minors, both ends inclusive, written "1.N". */
    public record MinorRange(String min, String max) {
        public int minMinor() {
            return minorNumber(min);
        }

        public int maxMinor() {
            return minorNumber(max);
        }

        public boolean contains(int minor) {
            return minor >= minMinor() && minor <= maxMinor();
        }
    }

    /** The kernel the vRouter builder image compiles vrouter.ko for, and the Ubuntu packages that keep a node on it. */
    public record Kernel(String series, String releasePattern, String packageName, String headersPackage, String compiler) {
        public boolean matches(String unameRelease) {
            return Pattern.compile(releasePattern).matcher(unameRelease).matches();
        }
    }

    /** tf-ansible-deployer at a pinned commit and the playbooks it runs, in order. */
    public record Deployer(String repo, String ref, List<String> playbooks) {
    }

    /** How the release's own CI installs Ansible: pip, into a virtualenv, ansible at least min and below below. */
    public record Ansible(String minVersion, String belowVersion, String jinja2) {
        public String pip() {
            return "ansible>=" + minVersion + ",<" + belowVersion;
        }
    }

    /** The vRouter's overlay: encapsulation order and the ports the security groups must open. */
    public record Overlay(String encapPriority, int xmppPort, int mplsOverUdpPort, int vxlanPort) {
    }

    public boolean tagAllowed(String tag) {
        return Pattern.compile(tagPattern).matcher(tag).matches();
    }

    /** A tag that names no build: {@code R25.1-latest} follows the nightly publish. */
    public boolean movingTag(String tag) {
        return tag.endsWith("latest") || tag.endsWith("latest-stable");
    }

    public boolean kubernetesTested(int minor) {
        return testedKubernetesMinors.stream().anyMatch(m -> minorNumber(m) == minor);
    }

    /**
     * Every image reference a cluster of this release runs, nodes first then controllers, each once: the one list
     * a mirror (issue 12) copies.
     */
    public List<String> imageReferences(String registry, String tag) {
        Set<String> names = new LinkedHashSet<>(nodeImages.all());
        names.addAll(controllerImages);
        List<String> refs = new ArrayList<>();
        names.forEach(n -> refs.add(registry + "/" + n + ":" + tag));
        return List.copyOf(refs);
    }

    static int minorNumber(String minor) {
        String[] parts = minor.split("\\.");
        if (parts.length != 2 || !parts[0].equals("1")) {
            throw new IllegalArgumentException("a Kubernetes minor is written 1.N, got " + minor);
        }
        return Integer.parseInt(parts[1]);
    }
}
