package dev.kilonode.master;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.master.kubeadm.EventsEtcdManifest;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The masters' first boot with the events etcd, as an ordered simulation of what each master waits for. Its inputs
 * are what is rendered (each master's cloud-config: the runcmd order, whether an events manifest is placed before
 * kubeadm and with which --initial-cluster/--initial-cluster-state, whether kubeadm init's API server is pointed at the
 * events etcd; the desired configuration the reconcile applies). The rules are those of the consumers:
 * <ul>
 *   <li>etcd (main or events) serves only with a quorum of its voting members running; a member started with
 *       --initial-cluster-state=new makes every member listed in --initial-cluster a voter from the start; a learner
 *       (member add --learner) is no voter until promoted, and promote needs a quorum;</li>
 *   <li>the API server is ready only when its etcd has quorum and, with --etcd-servers-overrides, the events etcd too;</li>
 *   <li>kubeadm init returns only once its API server is ready (wait-control-plane) and uploads its
 *       ClusterConfiguration; kubeadm join --control-plane needs a ready API behind the endpoint and starts the
 *       joining API server with that uploaded ClusterConfiguration; the kubelet starts static pods when kubeadm
 *       starts it;</li>
 *   <li>events-etcd.sh and the reconcile wait as they do (see their headers).</li>
 * </ul>
 * A boot that cannot move on fails the test with what each master is waiting for.
 */
class EventsEtcdBootstrapTest {

    /** One master's view of what is rendered for it. */
    record Rendered(List<String> steps, Set<Integer> preplacedEventsVoters, boolean initApiOverride,
                    boolean desiredApiOverride) {
    }

    static Rendered rendered(ClusterSpec spec, TuningProfile t, int i) throws Exception {
        JsonNode cc = ControlPlaneFitTest.cloudConfig(spec, t, i);
        List<String> steps = new ArrayList<>();
        cc.get("runcmd").forEach(c -> steps.add(c.get(0).asText().equals("env") ? c.get(c.size() - 1).asText() : c.get(0).asText()));
        Set<Integer> voters = null;
        String events = ControlPlaneFitTest.file(cc, EventsEtcdManifest.PATH);
        if (events != null) {
            String flags = ControlPlaneFitTest.first(events).at("/spec/containers/0/command").toString();
            voters = new HashSet<>();
            if (flags.contains("--initial-cluster-state=new")) {
                for (int m = 0; m < spec.masters().count(); m++) {
                    if (flags.contains("events-" + m + "=")) {
                        voters.add(m);
                    }
                }
            }
        }
        boolean initOverride = false;
        String init = ControlPlaneFitTest.file(cc, KubeadmConfig.DIR + "/init.yaml");
        if (init != null) {
            initOverride = init.contains("etcd-servers-overrides");
        }
        var inputs = new MasterUserData.Inputs(spec, t, new KubeadmConfig.Endpoints("api.scale.kilonode.internal"),
                "sha256:abc", "bucket-1", "scale/etcd", i);
        return new Rendered(steps, voters, initOverride, MasterUserData.desiredKubeadm(inputs).contains("etcd-servers-overrides"));
    }

    /** The cluster as the masters boot. */
    static final class World {
        final int n;
        final Rendered[] r;
        final boolean[] kubelet;
        final boolean[] apiStarted;
        final boolean[] apiOverride;
        final Set<Integer> mainVoters = new HashSet<>();
        final Set<Integer> eventsVoters = new HashSet<>();
        final Set<Integer> eventsRunning = new HashSet<>();
        boolean configMapOverride;
        int initialisedBy = -1;

        World(Rendered[] r) {
            this.n = r.length;
            this.r = r;
            kubelet = new boolean[n];
            apiStarted = new boolean[n];
            apiOverride = new boolean[n];
        }

        boolean eventsQuorum() {
            long up = eventsVoters.stream().filter(eventsRunning::contains).count();
            return !eventsVoters.isEmpty() && up * 2 > eventsVoters.size();
        }

        boolean mainQuorum() {
            return !mainVoters.isEmpty(); // main etcd members start with kubeadm and stay up in this simulation
        }

        boolean apiReady(int i) {
            return kubelet[i] && apiStarted[i] && mainQuorum() && (!apiOverride[i] || eventsQuorum());
        }

        boolean anyApiReady() {
            for (int i = 0; i < n; i++) {
                if (apiReady(i)) {
                    return true;
                }
            }
            return false;
        }

        void startKubelet(int i) {
            kubelet[i] = true;
            if (r[i].preplacedEventsVoters() != null) {
                // The kubelet starts the pre-placed events member with the manifest's flags.
                eventsRunning.add(i);
                eventsVoters.addAll(r[i].preplacedEventsVoters());
            }
        }
    }

    /** A step of one master: it starts, then is done when its wait is over. */
    record Step(String name, Runnable start, BooleanSupplier done, String waitsFor) {
    }

    static List<Step> steps(World w, int i) {
        List<Step> out = new ArrayList<>();
        for (String s : w.r[i].steps()) {
            if (s.endsWith("kubeadm-bootstrap.sh") && i == 0) {
                out.add(new Step("kubeadm init", () -> {
                    w.startKubelet(0);
                    w.mainVoters.add(0);
                    w.apiStarted[0] = true;
                    w.apiOverride[0] = w.r[0].initApiOverride();
                    w.initialisedBy = 0;
                }, () -> {
                    boolean ready = w.apiReady(0);
                    if (ready) {
                        w.configMapOverride = w.r[0].initApiOverride(); // upload-config phase
                    }
                    return ready;
                }, "its API server to be ready (kubeadm wait-control-plane)"));
            } else if (s.endsWith("kubeadm-bootstrap.sh")) {
                out.add(new Step("wait for the API endpoint", () -> { }, w::anyApiReady, "any ready API server behind the endpoint"));
                out.add(new Step("kubeadm join", () -> {
                    w.startKubelet(i);
                    w.mainVoters.add(i);
                    w.apiStarted[i] = true;
                    w.apiOverride[i] = w.configMapOverride;
                }, () -> w.apiReady(i), "its API server to be ready"));
            } else if (s.endsWith("reconcile-control-plane.sh")) {
                // The reconcile starts or joins this master's events member (events-etcd.sh) first ...
                boolean[] learner = {false};
                out.add(new Step("events member", () -> {
                    if (w.initialisedBy == i && w.eventsRunning.isEmpty()) {
                        w.eventsVoters.add(i); // a new cluster of one
                        w.eventsRunning.add(i);
                    }
                }, () -> {
                    if (w.eventsRunning.contains(i) && w.eventsVoters.contains(i)) {
                        return w.eventsQuorum();
                    }
                    if (!learner[0] && w.eventsQuorum()) {
                        learner[0] = true; // member add --learner, start with state existing
                        w.eventsRunning.add(i);
                    }
                    if (learner[0] && w.eventsQuorum()) {
                        w.eventsVoters.add(i); // member promote
                        return true;
                    }
                    return false;
                }, "an events etcd with quorum to join"));
                // ... and only then regenerates the API server with the override.
                out.add(new Step("reconcile", () -> { }, () -> {
                    if (w.r[i].desiredApiOverride() && !w.eventsQuorum()) {
                        return false; // waits for the events etcd before it touches the API server
                    }
                    w.apiOverride[i] = w.r[i].desiredApiOverride();
                    if (i == 0) {
                        w.configMapOverride = w.r[i].desiredApiOverride();
                    }
                    return w.apiReady(i);
                }, "the events etcd to be healthy"));
            }
        }
        return out;
    }

    /** Runs every master's steps; the first master to move each round is {@code lead}. Returns the stuck, if any. */
    static List<String> simulate(World w, int lead) {
        List<List<Step>> plans = new ArrayList<>();
        int[] at = new int[w.n];
        boolean[] started = new boolean[w.n];
        for (int i = 0; i < w.n; i++) {
            plans.add(steps(w, i));
        }
        for (int round = 0; round < 1_000; round++) {
            boolean moved = false;
            boolean allDone = true;
            for (int k = 0; k < w.n; k++) {
                int i = (lead + k) % w.n;
                if (at[i] >= plans.get(i).size()) {
                    continue;
                }
                allDone = false;
                Step s = plans.get(i).get(at[i]);
                if (!started[i]) {
                    s.start().run();
                    started[i] = true;
                    moved = true;
                }
                if (s.done().getAsBoolean()) {
                    at[i]++;
                    started[i] = false;
                    moved = true;
                }
            }
            if (allDone) {
                return List.of();
            }
            if (!moved) {
                List<String> stuck = new ArrayList<>();
                for (int i = 0; i < w.n; i++) {
                    if (at[i] < plans.get(i).size()) {
                        Step s = plans.get(i).get(at[i]);
                        stuck.add("master " + i + " in '" + s.name() + "' waits for " + s.waitsFor());
                    }
                }
                return stuck;
            }
        }
        throw new AssertionError("no progress bound reached");
    }

    static World boot(int masters, int lead) throws Exception {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:masterCount", String.valueOf(masters));
        ClusterSpec spec = Stacks.spec("scale", config);
        assertThat(spec.eventsEtcdEnabled()).isTrue();
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        Rendered[] r = new Rendered[masters];
        for (int i = 0; i < masters; i++) {
            r[i] = rendered(spec, t, i);
        }
        World w = new World(r);
        List<String> stuck = simulate(w, lead);
        assertThat(stuck).as("deadlock with %d master(s), master %d moving first", masters, lead).isEmpty();
        return w;
    }

    @Test
    void oneMasterBootsAndEndsWithItsApiServerOnTheEventsEtcd() throws Exception {
        World w = boot(1, 0);
        assertThat(w.eventsVoters).containsExactly(0);
        assertThat(w.apiOverride[0]).isTrue();
        assertThat(w.apiReady(0)).isTrue();
    }

    @Test
    void threeMastersBootInAnyLeadWithoutACycleAndEndOnAThreeMemberEventsEtcd() throws Exception {
        for (int lead = 0; lead < 3; lead++) {
            World w = boot(3, lead);
            assertThat(w.eventsVoters).containsExactlyInAnyOrder(0, 1, 2);
            assertThat(w.eventsRunning).containsExactlyInAnyOrder(0, 1, 2);
            for (int i = 0; i < 3; i++) {
                assertThat(w.apiOverride[i]).as("API server %d uses the events etcd", i).isTrue();
                assertThat(w.apiReady(i)).isTrue();
            }
        }
    }

    @Test
    void kubeadmInitNeverWaitsForTheEventsEtcd() throws Exception {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:masterCount", "3");
        ClusterSpec spec = Stacks.spec("scale", config);
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        for (int i = 0; i < 3; i++) {
            Rendered r = rendered(spec, t, i);
            assertThat(r.initApiOverride()).isFalse();
            assertThat(r.preplacedEventsVoters()).as("no events member starts with kubeadm").isNull();
            assertThat(r.desiredApiOverride()).isTrue();
            assertThat(r.steps().indexOf("/opt/kilonode/reconcile-control-plane.sh"))
                    .isGreaterThan(r.steps().indexOf("/opt/kilonode/kubeadm-bootstrap.sh"));
        }
    }
}
