package dev.kilonode.iam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.IamEvaluator.Decision;
import dev.kilonode.images.CredentialProvider;
import dev.kilonode.images.LockedBinary;
import dev.kilonode.testing.FixtureLocks;
import dev.kilonode.testing.Stacks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kubelet's credential provider in the stack's artifacts bucket: the master, worker and Image Builder instance
 * roles may read exactly the object the image lock names ({@code s3:GetObject}), and nothing else in the bucket — not
 * another version's or another content's object, no listing, no writes; the TF controllers (no kubelet) not even that.
 * Evaluated with {@link IamEvaluator} over each role's rendered policies (and AmazonSSMManagedInstanceCore for the
 * build role, {@link LeastPrivilegeTest#MANAGED}).
 */
class CredentialProviderReadTest {

    @Test
    void nodeRolesReadExactlyTheLockedObject() throws Exception {
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:nodeImage", "baked");
        ClusterSpec spec = Stacks.spec("dev", config);
        LeastPrivilegeTest.plan = Stacks.plan("dev", config); // the fixture lock, which the bake uses too
        Map<String, LeastPrivilegeTest.Identity> ids = LeastPrivilegeTest.identities();
        LockedBinary locked = FixtureLocks.credentialProvider(spec);
        String bucket = "arn:aws:s3:::" + locked.bucket();
        String otherSha = "1".repeat(64);
        List<String> otherObjects = List.of(
                bucket + "/" + CredentialProvider.objectKey("v1.30.0", locked.sha256()),
                bucket + "/" + CredentialProvider.objectKey(locked.version(), otherSha),
                bucket + "/" + locked.key() + ".sha256",
                bucket + "/other",
                "arn:aws:s3:::" + locked.bucket() + "-copy/" + locked.key());

        for (String role : List.of("master", "worker", "image-builder")) {
            LeastPrivilegeTest.Identity who = ids.get(role);
            assertThat(who).as(role).isNotNull();
            assertThat(decide(who, "s3:GetObject", locked.objectArn())).as(role).isEqualTo(Decision.ALLOW);
            for (String other : otherObjects) {
                assertThat(decide(who, "s3:GetObject", other)).as("%s reads %s", role, other).isNotEqualTo(Decision.ALLOW);
            }
            for (String action : List.of("s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion")) {
                assertThat(decide(who, action, locked.objectArn())).as("%s %s", role, action).isNotEqualTo(Decision.ALLOW);
            }
            assertThat(decide(who, "s3:ListBucket", bucket)).as(role).isNotEqualTo(Decision.ALLOW);
        }
        assertThat(decide(ids.get("tf-controller"), "s3:GetObject", locked.objectArn())).isNotEqualTo(Decision.ALLOW);
    }

    static Decision decide(LeastPrivilegeTest.Identity who, String action, String resource) {
        return IamEvaluator.identity(who.policies(), new IamEvaluator.Request(who.principal(), action, resource, Map.of()));
    }
}
