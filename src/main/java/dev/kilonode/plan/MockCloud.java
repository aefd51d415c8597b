package dev.kilonode.plan;

import com.pulumi.test.Mocks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Stands in for AWS and Kubernetes when the program runs offline: every resource gets plausible, deterministic
 * computed outputs (ids, ARNs, DNS names) derived from its type and name, so whatever is rendered from them
 * (user-data, kubeadm configuration, ConfigMaps) is complete and identical on every run.
 */
public final class MockCloud implements Mocks {

    public static final String ACCOUNT = "123456789012";
    private final String region;

    public MockCloud(String region) {
        this.region = region;
    }

    @Override
    public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
        Map<String, Object> state = new TreeMap<>(args.inputs);
        String hash = hash(args.type + "/" + args.name);
        String id = idFor(args.type, args.name, hash);
        String shortType = args.type.substring(args.type.lastIndexOf(':') + 1);
        String service = args.type.contains(":") ? args.type.split(":")[1].split("/")[0] : "unknown";
        state.putIfAbsent("arn", "arn:aws:" + service + ":" + region + ":" + ACCOUNT + ":" + shortType.toLowerCase() + "/" + args.name);
        switch (args.type) {
            case "aws:lb/loadBalancer:LoadBalancer" -> {
                boolean internal = Boolean.TRUE.equals(args.inputs.get("internal"));
                state.put("dnsName", (internal ? "internal-" : "") + trim(args.name, 20) + "-" + hash.substring(0, 10)
                        + ".elb." + region + ".amazonaws.com");
                state.put("zoneId", "Z26RNL4JYFTOTI");
            }
            case "aws:ec2/instance:Instance" -> {
                state.putIfAbsent("privateIp", "10.0.0." + (Integer.parseInt(hash.substring(0, 2), 16) % 200 + 20));
                state.put("privateDns", "ip-" + String.valueOf(state.get("privateIp")).replace('.', '-') + "." + region + ".compute.internal");
            }
            case "aws:s3/bucketV2:BucketV2" -> {
                state.putIfAbsent("bucket", trim(args.name, 40) + "-" + hash.substring(0, 8));
                state.put("arn", "arn:aws:s3:::" + state.get("bucket"));
            }
            case "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile", "aws:iam/policy:Policy" -> {
                state.put("arn", "arn:aws:iam::" + ACCOUNT + ":" + shortType.substring(0, 1).toLowerCase()
                        + shortType.substring(1) + "/" + args.name);
                // The engine auto-names these (the logical name and a suffix) before the provider sees them.
                state.putIfAbsent("name", args.name);
            }
            case "aws:ssm/parameter:Parameter" ->
                    state.put("arn", "arn:aws:ssm:" + region + ":" + ACCOUNT + ":parameter" + args.inputs.getOrDefault("name", "/" + args.name));
            case "aws:ec2/launchTemplate:LaunchTemplate" -> state.put("latestVersion", 1);
            // Image Builder ARNs name the version (component/<name>/<version>/<build>), so a new version is a new ARN,
            // and the AMI an image produced (outputResources[].amis[].image) follows the recipe it was built from.
            case "aws:imagebuilder/component:Component" -> state.put("arn", "arn:aws:imagebuilder:" + region + ":" + ACCOUNT
                    + ":component/" + args.inputs.get("name") + "/" + args.inputs.get("version") + "/1");
            case "aws:imagebuilder/imageRecipe:ImageRecipe" -> state.put("arn", "arn:aws:imagebuilder:" + region + ":"
                    + ACCOUNT + ":image-recipe/" + args.inputs.get("name") + "/" + args.inputs.get("version"));
            case "aws:imagebuilder/image:Image" -> state.put("outputResources", java.util.List.of(Map.of("amis",
                    java.util.List.of(Map.of("image", "ami-" + hash(String.valueOf(args.inputs.get("imageRecipeArn")))
                                    .substring(0, 17), "region", region, "accountId", ACCOUNT, "name", args.name)))));
            case "aws:route53/zone:Zone" -> state.put("zoneId", "Z" + hash.substring(0, 20).toUpperCase(java.util.Locale.ROOT));
            default -> { }
        }
        return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(id), state));
    }

    @Override
    public CompletableFuture<Map<String, Object>> callAsync(CallArgs args) {
        if (args.token.equals("aws:index/getCallerIdentity:getCallerIdentity")) {
            return CompletableFuture.completedFuture(Map.of("accountId", ACCOUNT, "arn", "arn:aws:iam::" + ACCOUNT + ":user/plan",
                    "id", ACCOUNT, "userId", "PLAN"));
        }
        return CompletableFuture.completedFuture(Map.of());
    }

    private static String idFor(String type, String name, String hash) {
        String hex17 = hash.substring(0, 17);
        return switch (type) {
            case "aws:ec2/vpc:Vpc" -> "vpc-" + hex17;
            case "aws:ec2/subnet:Subnet" -> "subnet-" + hex17;
            case "aws:ec2/securityGroup:SecurityGroup" -> "sg-" + hex17;
            case "aws:ec2/internetGateway:InternetGateway" -> "igw-" + hex17;
            case "aws:ec2/natGateway:NatGateway" -> "nat-" + hex17;
            case "aws:ec2/eip:Eip" -> "eipalloc-" + hex17;
            case "aws:ec2/routeTable:RouteTable" -> "rtb-" + hex17;
            case "aws:ec2/instance:Instance" -> "i-" + hex17;
            case "aws:ec2/launchTemplate:LaunchTemplate" -> "lt-" + hex17;
            default -> name + "-" + hash.substring(0, 8);
        };
    }

    private static String trim(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
