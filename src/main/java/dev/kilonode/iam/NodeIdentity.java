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
import com.pulumi.aws.iam.RolePolicyAttachment;
import com.pulumi.aws.iam.RolePolicyAttachmentArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An instance role and profile for one machine role, with one inline least-privilege policy. Every role also gets
 * AmazonSSMManagedInstanceCore, so operators reach machines through Session Manager and no SSH port is opened.
 */
public final class NodeIdentity {

    /** One IAM statement: actions on resources (resources may be computed ARNs). */
    public record Statement(String sid, List<String> actions, List<Output<String>> resources) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final String ASSUME_EC2 = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";

    private final InstanceProfile profile;

    public NodeIdentity(String name, List<Statement> statements, Map<String, String> tags, Resource parent) {
        var opts = CustomResourceOptions.builder().parent(parent).build();
        Role role = new Role(name, RoleArgs.builder()
                .assumeRolePolicy(ASSUME_EC2)
                .description("kilonode " + name)
                .tags(tags)
                .build(), opts);
        new RolePolicyAttachment(name + "-ssm-core", RolePolicyAttachmentArgs.builder()
                .role(role.name())
                .policyArn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
                .build(), opts);
        if (!statements.isEmpty()) {
            new RolePolicy(name, RolePolicyArgs.builder()
                    .role(role.name())
                    .policy(policyDocument(statements))
                    .build(), opts);
        }
        this.profile = new InstanceProfile(name, InstanceProfileArgs.builder()
                .role(role.name())
                .tags(tags)
                .build(), opts);
    }

    public Output<String> profileName() {
        return profile.name();
    }

    public Output<String> profileArn() {
        return profile.arn();
    }

    static Output<String> policyDocument(List<Statement> statements) {
        List<Output<List<String>>> resourceLists = statements.stream().map(s -> Output.all(s.resources())).toList();
        return Output.all(resourceLists).applyValue(resolved -> {
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (int i = 0; i < statements.size(); i++) {
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("Sid", statements.get(i).sid());
                st.put("Effect", "Allow");
                st.put("Action", statements.get(i).actions());
                st.put("Resource", resolved.get(i));
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
