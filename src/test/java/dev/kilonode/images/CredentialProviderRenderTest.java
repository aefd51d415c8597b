package dev.kilonode.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.FixtureLocks;
import dev.kilonode.testing.Stacks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the lock's credential provider entry does to what nodes get: every master's and worker group's user-data (and
 * the bake's component document) carries the locked object and its sha256 from the lock, and nothing anywhere in the
 * plan names artifacts.k8s.io. A lock written before the entry existed keeps the upstream download, and the program
 * warns naming the sync; a malformed entry stops the program.
 */
class CredentialProviderRenderTest {

    static final String LT = "aws:ec2/launchTemplate:LaunchTemplate";
    static final String INSTANCE = "aws:ec2/instance:Instance";

    record NodeUserData(String where, String role, String text) {
    }

    static List<NodeUserData> userData(Stacks.Plan plan) {
        List<NodeUserData> out = new ArrayList<>();
        for (PlannedResource r : plan.resources()) {
            Object ud = r.type().equals(INSTANCE) ? r.inputs().get("userDataBase64")
                    : r.type().equals(LT) ? r.inputs().get("userData") : null;
            if (ud instanceof String s) {
                out.add(new NodeUserData(r.type() + " " + r.name(), String.valueOf(r.tags().get("kilonode:role")),
                        UserData.decode(s)));
            }
        }
        return out;
    }

    /** Every string input of every resource (user-data decoded), where a URL could hide. */
    static List<String> everyText(Stacks.Plan plan) {
        List<String> texts = new ArrayList<>();
        for (PlannedResource r : plan.resources()) {
            collect(r.inputs(), texts);
        }
        userData(plan).forEach(u -> texts.add(u.text()));
        return texts;
    }

    static void collect(Object o, List<String> out) {
        if (o instanceof String s) {
            out.add(s);
        } else if (o instanceof Map<?, ?> m) {
            m.values().forEach(v -> collect(v, out));
        } else if (o instanceof List<?> l) {
            l.forEach(v -> collect(v, out));
        }
    }

    @Test
    void everyKubernetesNodeGetsTheLockedObjectAndItsSha256AndNothingNamesArtifactsK8sIo() {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        LockedBinary locked = FixtureLocks.credentialProvider(spec);
        Stacks.Plan plan = Stacks.plan("scale");
        List<NodeUserData> nodes = userData(plan).stream().filter(u -> !u.role().equals("tf-controller")).toList();
        assertThat(nodes).extracting(NodeUserData::role).contains("master", "worker");
        assertThat(nodes).allSatisfy(u -> assertThat(u.text()).as(u.where())
                .contains("CREDENTIAL_PROVIDER_S3_URI=" + locked.s3Uri() + "\n")
                .contains("CREDENTIAL_PROVIDER_SHA256=" + locked.sha256() + "\n")
                .doesNotContain("ECR_CREDENTIAL_PROVIDER_URL="));
        assertThat(everyText(plan)).isNotEmpty().allSatisfy(t -> assertThat(t).doesNotContain("artifacts.k8s.io"));
    }

    @Test
    void theBakeInstallsTheSameLockedObject(@TempDir Path project) throws Exception {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:nodeImage", "baked");
        ClusterSpec spec = Stacks.spec("scale", config);
        FixtureLocks.forSpec(spec).write(project, "scale");
        Stacks.Plan plan = Stacks.plan("scale", config, project);
        LockedBinary locked = FixtureLocks.credentialProvider(spec);
        String document = (String) plan.ofType("aws:imagebuilder/component:Component").get(0).inputs().get("data");
        // The build instance's env file, packed in the document (NodeImageDocument).
        String env = dev.kilonode.testing.PackedFiles.unpack(document, "/etc/kilonode/kilonode.env");
        assertThat(env).contains("CREDENTIAL_PROVIDER_S3_URI=" + locked.s3Uri())
                .contains("CREDENTIAL_PROVIDER_SHA256=" + locked.sha256()).doesNotContain("artifacts.k8s.io");
        assertThat(everyText(plan)).allSatisfy(t -> assertThat(t).doesNotContain("artifacts.k8s.io"));
    }

    @Test
    void aLockWithoutTheEntryKeepsTheUpstreamDownloadAndSaysSo(@TempDir Path dir) throws Exception {
        ClusterSpec spec = Stacks.spec("dev", Stacks.config("dev"));
        ImageLock old = FixtureLocks.forSpec(spec).withCredentialProvider(null);
        old.write(dir, "dev");
        assertThat(java.nio.file.Files.readString(ImageLock.path(dir, "dev"))).doesNotContain("credentialProvider");
        BringUp bringUp = BringUp.decide(spec, dir);
        assertThat(bringUp.complete()).as("an older lock still brings the cluster up").isTrue();
        assertThat(bringUp.warnings("dev")).singleElement().asString()
                .contains("no credentialProvider entry").contains("artifacts.k8s.io through the NAT gateway")
                .contains("images sync --stack dev");

        Stacks.Plan plan = Stacks.plan("dev", Stacks.config("dev"), dir);
        List<NodeUserData> nodes = userData(plan).stream().filter(u -> !u.role().equals("tf-controller")).toList();
        assertThat(nodes).isNotEmpty().allSatisfy(u -> assertThat(u.text()).as(u.where())
                .contains("ECR_CREDENTIAL_PROVIDER_URL=" + CredentialProvider.DOWNLOAD_URL + "\n")
                .doesNotContain("CREDENTIAL_PROVIDER_S3_URI="));
        // No role gets a read of an object the lock does not name.
        assertThat(plan.ofType("aws:iam/rolePolicy:RolePolicy")).extracting(p -> (String) p.inputs().get("policy"))
                .noneMatch(p -> p.contains("ReadCredentialProvider"));
    }

    @Test
    void anEntryForAnotherVersionIsUsedAndWarnedAbout(@TempDir Path dir) throws Exception {
        ClusterSpec spec = Stacks.spec("dev", Stacks.config("dev"));
        LockedBinary f = FixtureLocks.credentialProvider(spec);
        LockedBinary older = new LockedBinary("v1.30.0", f.source(), f.sha256(), f.size(), f.bucket(),
                CredentialProvider.objectKey("v1.30.0", f.sha256()));
        FixtureLocks.forSpec(spec).withCredentialProvider(older).write(dir, "dev");
        BringUp bringUp = BringUp.decide(spec, dir);
        assertThat(bringUp.images().credentialProviderObject()).contains(older);
        assertThat(bringUp.warnings("dev")).singleElement().asString().contains("records ecr-credential-provider v1.30.0")
                .contains("pins " + CredentialProvider.VERSION);
    }

    @Test
    void aMalformedEntryStopsTheProgram(@TempDir Path dir) throws Exception {
        ClusterSpec spec = Stacks.spec("dev", Stacks.config("dev"));
        LockedBinary f = FixtureLocks.credentialProvider(spec);
        List<LockedBinary> bad = List.of(
                new LockedBinary(f.version(), f.source(), "ABC", f.size(), f.bucket(), f.key()),
                new LockedBinary(f.version(), f.source(), f.sha256(), 0, f.bucket(), f.key()),
                new LockedBinary(f.version(), f.source(), f.sha256(), f.size(), "Not_A_Bucket", f.key()),
                new LockedBinary(f.version(), f.source(), f.sha256(), f.size(), f.bucket(), "ecr-credential-provider/other"),
                new LockedBinary("latest", f.source(), f.sha256(), f.size(), f.bucket(), f.key()));
        for (LockedBinary b : bad) {
            FixtureLocks.forSpec(spec).withCredentialProvider(b).write(dir, "dev");
            assertThatThrownBy(() -> BringUp.decide(spec, dir)).as(b.toString()).isInstanceOf(BringUp.LockException.class)
                    .hasMessageContaining("credentialProvider: ").hasMessageContaining("images sync --stack dev");
        }
    }
}
