package dev.kilonode.iam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kilonode.iam.IamEvaluator.Decision;
import dev.kilonode.iam.IamEvaluator.Principal;
import dev.kilonode.iam.IamEvaluator.Request;
import dev.kilonode.plan.MockCloud;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 1: only the masters can read the PKI and the control-plane configuration. Evaluates every statement the
 * stack attaches to each instance role (inline policies, and any managed policy from {@link #MANAGED}) and the PKI
 * key's policy with {@link IamEvaluator}.
 */
class LeastPrivilegeTest {

    /**
     * Managed policies the evaluator knows. AmazonSSMManagedInstanceCore, policy version v2 (edited 2019-05-23), from
     * docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html: what every role had
     * before this change.
     */
    static final Map<String, String> MANAGED = Map.of("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", """
            {"Version":"2012-10-17","Statement":[
             {"Effect":"Allow","Action":["ssm:DescribeAssociation","ssm:GetDeployablePatchSnapshotForInstance",
               "ssm:GetDocument","ssm:DescribeDocument","ssm:GetManifest","ssm:GetParameter","ssm:GetParameters",
               "ssm:ListAssociations","ssm:ListInstanceAssociations","ssm:PutInventory","ssm:PutComplianceItems",
               "ssm:PutConfigurePackageResult","ssm:UpdateAssociationStatus","ssm:UpdateInstanceAssociationStatus",
               "ssm:UpdateInstanceInformation"],"Resource":"*"},
             {"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel",
               "ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"},
             {"Effect":"Allow","Action":["ec2messages:AcknowledgeMessage","ec2messages:DeleteMessage",
               "ec2messages:FailMessage","ec2messages:GetEndpoint","ec2messages:GetMessages","ec2messages:SendReply"],
              "Resource":"*"}]}""");

    /**
     * The aws/ssm AWS managed key's policy (what a SecureString without keyId uses): every principal of the account may
     * use it through SSM (docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key: "any principal
     * in the account ... through the service"), the same condition shape as the console shows for aws/ssm.
     */
    static final String AWS_SSM_KEY_POLICY = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},
             "Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],
             "Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"ssm.us-east-1.amazonaws.com",
             "kms:CallerAccount":"123456789012"}}}]}""";

    static final String ROLE = "aws:iam/role:Role";
    static final String PARAM = "aws:ssm/parameter:Parameter";
    static Stacks.Plan plan;

    @BeforeAll
    static void planDev() {
        plan = Stacks.plan("dev");
    }

    record Identity(Principal principal, List<JsonNode> policies) {
    }

    /** Every instance role of the plan with all of its policies, linked by the NodeIdentity's parent component. */
    static Map<String, Identity> identities() {
        return plan.ofType(ROLE).stream().collect(Collectors.toMap(r -> String.valueOf(r.tags().get("kilonode:role")), role -> {
            List<String> docs = new ArrayList<>();
            plan.ofType("aws:iam/rolePolicy:RolePolicy").stream().filter(p -> p.parent().equals(role.parent()))
                    .forEach(p -> docs.add((String) p.inputs().get("policy")));
            plan.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").stream()
                    .filter(a -> a.parent().equals(role.parent())).forEach(a -> {
                        String arn = (String) a.inputs().get("policyArn");
                        assertThat(MANAGED).as("managed policy %s must be recorded to be evaluated", arn).containsKey(arn);
                        docs.add(MANAGED.get(arn));
                    });
            Map<String, String> tags = role.tags().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())));
            return new Identity(new Principal("arn:aws:iam::" + MockCloud.ACCOUNT + ":role/" + role.name(), tags),
                    IamEvaluator.parse(docs));
        }, (a, b) -> { throw new AssertionError("two roles for one kilonode:role"); }));
    }

    static String arn(PlannedResource parameter) {
        return "arn:aws:ssm:us-east-1:" + MockCloud.ACCOUNT + ":parameter" + parameter.inputs().get("name");
    }

    static List<PlannedResource> controlPlaneParameters() {
        List<PlannedResource> out = plan.ofType(PARAM).stream().filter(p -> {
            String name = (String) p.inputs().get("name");
            return name.startsWith("/kilonode/dev/pki/") || name.startsWith("/kilonode/dev/control-plane/");
        }).toList();
        assertThat(out).hasSizeGreaterThanOrEqualTo(10);
        return out;
    }

    /** ssm:GetParameter --with-decryption: IAM on the parameter, then kms:Decrypt through SSM on its key. */
    static Decision read(Identity who, PlannedResource parameter) {
        Decision get = IamEvaluator.identity(who.policies(), new Request(who.principal(), "ssm:GetParameter", arn(parameter), Map.of()));
        if (get != Decision.ALLOW || !"SecureString".equals(parameter.inputs().get("type"))) {
            return get;
        }
        return decrypt(who, (String) parameter.inputs().get("keyId"));
    }

    static Decision decrypt(Identity who, String keyArn) {
        JsonNode keyPolicy;
        String resource;
        if (keyArn == null) {
            keyPolicy = IamEvaluator.parse(List.of(AWS_SSM_KEY_POLICY)).get(0);
            resource = "arn:aws:kms:us-east-1:" + MockCloud.ACCOUNT + ":key/aws-ssm";
        } else {
            PlannedResource key = plan.ofType("aws:kms/key:Key").stream()
                    .filter(k -> keyArn.equals("arn:aws:kms:us-east-1:" + MockCloud.ACCOUNT + ":key/" + k.name()))
                    .findFirst().orElseThrow();
            PlannedResource policy = plan.one("aws:kms/keyPolicy:KeyPolicy", p -> key.id().equals(p.inputs().get("keyId")));
            keyPolicy = IamEvaluator.parse(List.of((String) policy.inputs().get("policy"))).get(0);
            resource = keyArn;
        }
        return IamEvaluator.kms(keyPolicy, who.policies(), new Request(who.principal(), "kms:Decrypt", resource,
                Map.of("kms:ViaService", "ssm.us-east-1.amazonaws.com")));
    }

    @Test
    void noRoleButTheMastersCanReadThePkiOrTheControlPlaneConfiguration() {
        Map<String, Identity> ids = identities();
        assertThat(ids).containsKeys("master", "worker", "tf-controller");
        for (PlannedResource p : controlPlaneParameters()) {
            assertThat(read(ids.get("master"), p)).as("master reads %s", p.inputs().get("name")).isEqualTo(Decision.ALLOW);
            for (String role : List.of("worker", "tf-controller")) {
                assertThat(read(ids.get(role), p)).as("%s reads %s", role, p.inputs().get("name")).isNotEqualTo(Decision.ALLOW);
            }
        }
    }

    @Test
    void thePkiKeysUseAKeyOnlyTheMastersDecrypt() {
        Map<String, Identity> ids = identities();
        List<PlannedResource> keys = plan.ofType(PARAM).stream()
                .filter(p -> ((String) p.inputs().get("name")).startsWith("/kilonode/dev/pki/") && "SecureString".equals(p.inputs().get("type")))
                .toList();
        assertThat(keys).hasSize(4);
        for (PlannedResource p : keys) {
            String keyArn = (String) p.inputs().get("keyId");
            assertThat(keyArn).as("customer-managed key of %s", p.inputs().get("name")).isNotNull();
            assertThat(decrypt(ids.get("master"), keyArn)).isEqualTo(Decision.ALLOW);
            assertThat(decrypt(ids.get("worker"), keyArn)).isEqualTo(Decision.EXPLICIT_DENY);
            assertThat(decrypt(ids.get("tf-controller"), keyArn)).isEqualTo(Decision.EXPLICIT_DENY);
            // Even if someone later attaches a policy allowing kms:* to a worker, the key policy's Deny holds.
            Identity worker = ids.get("worker");
            List<JsonNode> widened = new ArrayList<>(worker.policies());
            widened.addAll(IamEvaluator.parse(List.of("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}}")));
            assertThat(decrypt(new Identity(worker.principal(), widened), keyArn)).isEqualTo(Decision.EXPLICIT_DENY);
        }
    }

    @Test
    void workersStillReadTheBootstrapTokenAndEveryRoleKeepsSessionManager() {
        Map<String, Identity> ids = identities();
        PlannedResource token = plan.one(PARAM, p -> "/kilonode/dev/bootstrap-token".equals(p.inputs().get("name")));
        assertThat(read(ids.get("worker"), token)).isEqualTo(Decision.ALLOW);
        assertThat(read(ids.get("master"), token)).isEqualTo(Decision.ALLOW);
        for (Identity id : ids.values()) {
            for (String action : NodeIdentity.SESSION_MANAGER_ACTIONS) {
                assertThat(IamEvaluator.identity(id.policies(), new Request(id.principal(), action, "*", Map.of())))
                        .as(id.principal().arn() + " " + action).isEqualTo(Decision.ALLOW);
            }
        }
    }

    /** The evaluator is not vacuous: with the managed policy the old stack attached, a worker reads the CA key. */
    @Test
    void theManagedPolicyAloneWouldHaveLetAWorkerReadTheCaKey() {
        Principal worker = new Principal("arn:aws:iam::" + MockCloud.ACCOUNT + ":role/w", Map.of());
        Request get = new Request(worker, "ssm:GetParameter", "arn:aws:ssm:us-east-1:" + MockCloud.ACCOUNT
                + ":parameter/kilonode/dev/pki/ca.key", Map.of());
        List<JsonNode> managed = IamEvaluator.parse(List.of(MANAGED.values().iterator().next()));
        assertThat(IamEvaluator.identity(managed, get)).isEqualTo(Decision.ALLOW);
        Request decrypt = new Request(worker, "kms:Decrypt", "arn:aws:kms:us-east-1:" + MockCloud.ACCOUNT + ":key/aws-ssm",
                Map.of("kms:ViaService", "ssm.us-east-1.amazonaws.com"));
        assertThat(IamEvaluator.kms(IamEvaluator.parse(List.of(AWS_SSM_KEY_POLICY)).get(0), managed, decrypt))
                .isEqualTo(Decision.ALLOW);
        // and an explicit Deny beats it
        List<JsonNode> withDeny = new ArrayList<>(managed);
        withDeny.addAll(IamEvaluator.parse(List.of("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"ssm:GetParameter*\","
                + "\"Resource\":\"arn:aws:ssm:us-east-1:*:parameter/kilonode/dev/pki/*\"}]}")));
        assertThat(IamEvaluator.identity(withDeny, get)).isEqualTo(Decision.EXPLICIT_DENY);
    }

    @Test
    void wildcardsMatchLikeIam() {
        assertThat(IamEvaluator.glob("ssm:GetParameter*", "ssm:getparameters", true)).isTrue();
        assertThat(IamEvaluator.glob("ssm:GetParameter*", "ssm:PutParameter", true)).isFalse();
        assertThat(IamEvaluator.glob("arn:aws:ssm:*:*:parameter/kilonode/dev/pki/*", "arn:aws:ssm:us-east-1:1:parameter/kilonode/dev/pki/ca.key", false)).isTrue();
        assertThat(IamEvaluator.glob("arn:aws:ssm:*:*:parameter/kilonode/dev/pki/*", "arn:aws:ssm:us-east-1:1:parameter/kilonode/dev/PKI/ca.key", false)).isFalse();
        assertThat(IamEvaluator.glob("key/?", "key/ab", false)).isFalse();
    }
}
