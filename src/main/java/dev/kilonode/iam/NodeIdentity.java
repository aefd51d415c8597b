package dev.kilonode.iam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.pulumi.aws.iam.InstanceProfile;
import com.pulumi.aws.iam.InstanceProfileArgs;
import com.pulumi.aws.iam.Role;
import com.pulumi.aws.iam.RoleArgs;
import com.pulumi.aws.iam.RolePolicy;
import com.pulumi.aws.iam.RolePolicyArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An instance role and profile for one machine role, with one inline least-privilege policy.
 *
 * <p>Operators reach machines through Session Manager (no SSH port is opened), with only the five actions the
 * Session Manager agent needs ({@link #SESSION_MANAGER_ACTIONS}). The AWS managed policy AmazonSSMManagedInstanceCore
 * is deliberately not attached: it allows {@code ssm:GetParameter}/{@code ssm:GetParameters} on {@code *}, which
 * would let every worker and TF controller read the cluster's CA keys in {@code /kilonode/<stack>/pki/}.
 */
public final class NodeIdentity {

    /**
     * One IAM statement: Allow or Deny of actions on resources (resources may be computed ARNs), optionally with a
     * condition ({@code {"StringEquals": {"cloudwatch:namespace": "..."}}}).
     */
    public record Statement(String sid, String effect, List<String> actions, List<Output<String>> resources,
                            Map<String, Map<String, String>> condition) {

        public Statement(String sid, String effect, List<String> actions, List<Output<String>> resources) {
            this(sid, effect, actions, resources, Map.of());
        }

        /** An Allow statement. */
        public Statement(String sid, List<String> actions, List<Output<String>> resources) {
            this(sid, "Allow", actions, resources, Map.of());
        }

        /** An Allow statement with a condition. */
        public Statement(String sid, List<String> actions, List<Output<String>> resources,
                         Map<String, Map<String, String>> condition) {
            this(sid, "Allow", actions, resources, condition);
        }

        public static Statement deny(String sid, List<String> actions, List<Output<String>> resources) {
            return new Statement(sid, "Deny", actions, resources);
        }
    }

    /**
     * What the SSM agent needs for Session Manager and nothing else: the statement of the AWS managed policy
     * AWSCloud9SSMInstanceProfile (docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloud9SSMInstanceProfile.html),
     * which is also the custom instance-profile policy of the Systems Manager user guide
     * (docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
     */
    public static final List<String> SESSION_MANAGER_ACTIONS = List.of("ssm:UpdateInstanceInformation",
            "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel");

    /** Every parameter read action (GetParameter, GetParameters, GetParametersByPath, GetParameterHistory). */
    static final List<String> PARAMETER_READS = List.of("ssm:GetParameter*");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final String ASSUME_EC2 = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";

    private final Role role;
    private final InstanceProfile profile;

    public NodeIdentity(String name, List<Statement> statements, Map<String, String> tags, Resource parent) {
        var opts = CustomResourceOptions.builder().parent(parent).build();
        this.role = new Role(name, RoleArgs.builder()
                .assumeRolePolicy(ASSUME_EC2)
                .description("kilonode " + name)
                .tags(tags)
                .build(), opts);
        List<Statement> all = new ArrayList<>();
        all.add(new Statement("SessionManager", SESSION_MANAGER_ACTIONS, List.of(Output.of("*"))));
        all.addAll(statements);
        new RolePolicy(name, RolePolicyArgs.builder()
                .role(role.name())
                .policy(policyDocument(all))
                .build(), opts);
        this.profile = new InstanceProfile(name, InstanceProfileArgs.builder()
                .role(role.name())
                .tags(tags)
                .build(), opts);
    }

    /**
     * Explicit denies for every role but the masters': no read of the PKI or the control-plane configuration
     * parameters, whatever else a future statement or an operator's attachment allows (an explicit Deny wins over
     * any Allow in IAM policy evaluation).
     */
    public static List<Statement> denyControlPlaneSecrets(String region, String ssmPrefix) {
        String base = "arn:aws:ssm:" + region + ":*:parameter" + ssmPrefix;
        return List.of(Statement.deny("NeverReadControlPlaneSecrets", PARAMETER_READS, List.of(
                Output.of(base + "/pki/*"), Output.of(base + "/pki"),
                Output.of(base + "/control-plane/*"), Output.of(base + "/control-plane"))));
    }

    public Output<String> profileName() {
        return profile.name();
    }

    public Output<String> profileArn() {
        return profile.arn();
    }

    public Output<String> roleArn() {
        return role.arn();
    }

    public Output<String> roleName() {
        return role.name();
    }

    static Output<String> policyDocument(List<Statement> statements) {
        List<Output<List<String>>> resourceLists = statements.stream().map(s -> Output.all(s.resources())).toList();
        return Output.all(resourceLists).applyValue(resolved -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < statements.size(); i++) {
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("Sid", statements.get(i).sid());
                st.put("Effect", statements.get(i).effect());
                st.put("Action", statements.get(i).actions());
                st.put("Resource", resolved.get(i));
                if (!statements.get(i).condition().isEmpty()) {
                    st.put("Condition", statements.get(i).condition());
                }
                out.add(st);
            }
            try {
                return JSON.writeValueAsString(Map.of("Version", "2012-10-17", "Statement", out));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
