package dev.kilonode.plan.diff;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Day 2 of the vRouter kernel-init wrapper (components/ContrailCni/vrouter-kernel-init.sh): a new script updates its
 * ConfigMap in place and changes the agent DaemonSet's pod-template checksum (VrouterKernelInitRenderingTest), which
 * plan/change-behaviour.json classifies as a rolling update of every vRouter agent (10 % at a time).
 */
class KernelInitChangeBehaviourTest {

    @Test
    void aNewWrapperUpdatesItsConfigMapAndRollsTheAgents() {
        String checksum = "/spec/template/metadata/annotations/" + JsonChanges.escape("kilonode.dev/config-checksum");
        assertThat(ChangeBehaviour.rule("kubernetes:apps/v1:DaemonSet", checksum).orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.ROLLS);
        assertThat(ChangeBehaviour.rule("kubernetes:apps/v1:DaemonSet",
                "/spec/template/spec/initContainers/1/command/1").orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.ROLLS);
        assertThat(ChangeBehaviour.rule("kubernetes:core/v1:ConfigMap", "/data/vrouter-kernel-init.sh").orElseThrow()
                .kind()).isEqualTo(ChangeBehaviour.Kind.UPDATE);
    }
}
