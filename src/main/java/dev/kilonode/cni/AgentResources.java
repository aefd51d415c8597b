package dev.kilonode.cni;

import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place the CNI's resource requests are declared: every container of the vRouter agent pod (which runs on
 * masters and workers alike) and of kube-manager (masters). Sized for m3.medium workers (1 vCPU, 3.75 GiB);
 * control-plane budgets read {@link #agentPod()} rather than copying numbers.
 *
 * @param memoryLimit   null: no limit (the data plane must not be OOM-killed)
 * @param hugepages2Mi  null: none; else request = limit (Kubernetes requires equal hugepage requests and limits)
 */
public record AgentResources(String cpuRequest, String memoryRequest, String memoryLimit, String hugepages2Mi) {

    /** 2 MB pages the agent maps (env HUGE_PAGES_2MB, standalone manifest): 128 x 2 MiB = the 256Mi it requests. */
    public static final int HUGE_PAGES_2MB = 128;

    public static final AgentResources NODE_INIT = new AgentResources("50m", "64Mi", "256Mi", null);
    public static final AgentResources KERNEL_INIT = new AgentResources("100m", "256Mi", "1Gi", null);
    public static final AgentResources CNI_INIT = new AgentResources("10m", "32Mi", "128Mi", null);
    /** Upstream standalone manifest requests memory 256Mi and hugepages-2Mi 256Mi; 384Mi keeps headroom above it
     * while agent + hugepages + sidecars stay within a quarter of an m3.medium's allocatable memory. */
    public static final AgentResources VROUTER_AGENT = new AgentResources("250m", "384Mi", null, (HUGE_PAGES_2MB * 2) + "Mi");
    public static final AgentResources NODEMGR = new AgentResources("20m", "64Mi", "256Mi", null);
    public static final AgentResources PROVISIONER = new AgentResources("10m", "64Mi", "128Mi", null);
    public static final AgentResources KUBE_MANAGER = new AgentResources("250m", "512Mi", "2Gi", null);

    /** What the scheduler reserves for one pod: the containers' sum, or the largest init container if larger. */
    public record PodRequests(long cpuMilli, long memoryMi, long hugepages2MiMi) {
    }

    public static PodRequests agentPod() {
        return pod(List.of(NODE_INIT, KERNEL_INIT, CNI_INIT), List.of(VROUTER_AGENT, NODEMGR, PROVISIONER));
    }

    public static PodRequests kubeManagerPod() {
        return pod(List.of(NODE_INIT), List.of(KUBE_MANAGER));
    }

    static PodRequests pod(List<AgentResources> init, List<AgentResources> containers) {
        long cpu = containers.stream().mapToLong(r -> milli(r.cpuRequest)).sum();
        long mem = containers.stream().mapToLong(r -> mi(r.memoryRequest)).sum();
        long huge = containers.stream().filter(r -> r.hugepages2Mi != null).mapToLong(r -> mi(r.hugepages2Mi)).sum();
        for (AgentResources r : init) {
            cpu = Math.max(cpu, milli(r.cpuRequest));
            mem = Math.max(mem, mi(r.memoryRequest));
        }
        return new PodRequests(cpu, mem, huge);
    }

    public ResourceRequirementsArgs args() {
        Map<String, String> requests = new LinkedHashMap<>();
        requests.put("cpu", cpuRequest);
        requests.put("memory", memoryRequest);
        Map<String, String> limits = new LinkedHashMap<>();
        if (memoryLimit != null) {
            limits.put("memory", memoryLimit);
        }
        if (hugepages2Mi != null) {
            requests.put("hugepages-2Mi", hugepages2Mi);
            limits.put("hugepages-2Mi", hugepages2Mi);
        }
        ResourceRequirementsArgs.Builder b = ResourceRequirementsArgs.builder().requests(requests);
        if (!limits.isEmpty()) {
            b.limits(limits);
        }
        return b.build();
    }

    private static long milli(String cpu) {
        return cpu.endsWith("m") ? Long.parseLong(cpu.substring(0, cpu.length() - 1)) : Long.parseLong(cpu) * 1000;
    }

    private static long mi(String q) {
        return q.endsWith("Gi") ? Long.parseLong(q.substring(0, q.length() - 2)) * 1024 : Long.parseLong(q.substring(0, q.length() - 2));
    }
}
