package dev.kilonode.pki;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pulumi.aws.kms.Key;
import com.pulumi.aws.kms.KeyArgs;
import com.pulumi.aws.kms.KeyPolicy;
import com.pulumi.aws.kms.KeyPolicyArgs;
import com.pulumi.aws.ssm.Parameter;
import com.pulumi.aws.ssm.ParameterArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.config.PkiSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's PKI and bootstrap token in SSM Parameter Store, where nodes read them with their instance role at
 * boot: private keys and the token as SecureString, certificates as String. Values come in as Pulumi secrets, so they
 * are encrypted in the state too; user-data only names them.
 *
 * <p>Who can decrypt: the bootstrap token (workers need it to join) uses the account's aws/ssm key. The CA, etcd CA,
 * front-proxy CA and service-account keys use this stack's own customer-managed KMS key, whose key policy
 * ({@link #restrictDecryptTo}) lets only the master role decrypt, via SSM, and denies decryption to every other
 * role of this stack (roles carry the {@code kilonode:stack} tag). The account root keeps administration, which is
 * how the deployer (Pulumi writing and refreshing the parameters) reaches the key through its own IAM policies.
 */
public class ClusterSecrets extends ComponentResource {

    public static final String TYPE = "kilonode:pki:ClusterSecrets";

    /** The secret halves, as Pulumi secret outputs read from stack config by the stack program. */
    public record SecretValues(Output<String> caKey, Output<String> frontProxyCaKey, Output<String> etcdCaKey,
                               Output<String> serviceAccountKey, Output<String> bootstrapToken) {
    }

    public record Args(String ssmPrefix, PkiSpec pki, SecretValues secrets, Map<String, String> tags, boolean protect) {
    }

    /** The role tag (see {@code ClusterSpec.tagsFor}) the key policy's Deny keys on. */
    static final String STACK_TAG = "kilonode:stack";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Key pkiKey;
    private final Args args;

    private final Output<String> bootstrapTokenArn;
    private final List<Output<String>> pkiArns = new ArrayList<>();

    public ClusterSecrets(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        this.args = args;
        var opts = CustomResourceOptions.builder().parent(this).protect(args.protect()).build();
        this.pkiKey = new Key(name + "-pki", KeyArgs.builder()
                .description("kilonode " + args.ssmPrefix() + "/pki: only the masters decrypt")
                .enableKeyRotation(true)
                .deletionWindowInDays(args.protect() ? 30 : 7)
                .tags(args.tags())
                .build(), opts);
        String pki = args.ssmPrefix() + "/pki/";
        this.bootstrapTokenArn = secure(name + "-bootstrap-token", args.ssmPrefix() + "/bootstrap-token",
                args.secrets().bootstrapToken(), null, args, opts).arn();
        pkiArns.add(plain(name + "-ca-crt", pki + "ca.crt", args.pki().caCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-ca-key", pki + "ca.key", args.secrets().caKey(), pkiKey, args, opts).arn());
        pkiArns.add(plain(name + "-front-proxy-ca-crt", pki + "front-proxy-ca.crt", args.pki().frontProxyCaCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-front-proxy-ca-key", pki + "front-proxy-ca.key", args.secrets().frontProxyCaKey(), pkiKey, args, opts).arn());
        pkiArns.add(plain(name + "-etcd-ca-crt", pki + "etcd-ca.crt", args.pki().etcdCaCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-etcd-ca-key", pki + "etcd-ca.key", args.secrets().etcdCaKey(), pkiKey, args, opts).arn());
        pkiArns.add(plain(name + "-sa-pub", pki + "sa.pub", args.pki().serviceAccountPublicKey(), args, opts).arn());
        pkiArns.add(secure(name + "-sa-key", pki + "sa.key", args.secrets().serviceAccountKey(), pkiKey, args, opts).arn());
        registerOutputs(Map.of("bootstrapTokenArn", bootstrapTokenArn));
    }

    private Parameter secure(String resourceName, String path, Output<String> value, Key key, Args args,
                             CustomResourceOptions opts) {
        var b = ParameterArgs.builder();
        if (key != null) {
            b.keyId(key.arn());
        }
        return new Parameter(resourceName, b
                .name(path)
                .type("SecureString")
                .value(value.asSecret())
                .description("kilonode " + path + " (secret)")
                .tags(args.tags())
                .build(), opts);
    }

    private Parameter plain(String resourceName, String path, String value, Args args, CustomResourceOptions opts) {
        return new Parameter(resourceName, ParameterArgs.builder()
                .name(path)
                .type("String")
                .value(value)
                .description("kilonode " + path)
                .tags(args.tags())
                .build(), opts);
    }

    /**
     * Sets the PKI key's policy once the master role exists (a separate {@code aws:kms/keyPolicy:KeyPolicy}, since the
     * role's inline policy in turn names these parameters).
     */
    public KeyPolicy restrictDecryptTo(String name, Output<String> masterRoleArn, String region, String stack) {
        return new KeyPolicy(name, KeyPolicyArgs.builder()
                .keyId(pkiKey.id())
                .policy(masterRoleArn.applyValue(arn -> keyPolicy(arn, region, stack)))
                .build(), CustomResourceOptions.builder().parent(this).protect(args.protect()).build());
    }

    /** The key policy document: account administration, masters decrypt via SSM, no other role of the stack. */
    public static String keyPolicy(String masterRoleArn, String region, String stack) {
        String account = masterRoleArn.split(":")[4];
        List<Map<String, Object>> st = new ArrayList<>();
        st.add(statement("AccountAdministersKey", "Allow", Map.of("AWS", "arn:aws:iam::" + account + ":root"),
                List.of("kms:*"), null));
        st.add(statement("MastersDecryptThroughSsm", "Allow", Map.of("AWS", masterRoleArn), List.of("kms:Decrypt"),
                Map.of("StringEquals", Map.of("kms:ViaService", "ssm." + region + ".amazonaws.com"))));
        st.add(statement("NoOtherRoleOfThisStackDecrypts", "Deny", Map.of("AWS", "*"), List.of("kms:Decrypt"),
                Map.of("StringEquals", Map.of("aws:PrincipalTag/" + STACK_TAG, stack),
                        "StringNotEquals", Map.of("aws:PrincipalArn", masterRoleArn))));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("Version", "2012-10-17");
        doc.put("Statement", st);
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> statement(String sid, String effect, Map<String, String> principal,
                                                 List<String> actions, Map<String, Object> condition) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Sid", sid);
        s.put("Effect", effect);
        s.put("Principal", principal);
        s.put("Action", actions);
        s.put("Resource", "*");
        if (condition != null) {
            s.put("Condition", new java.util.TreeMap<>(condition));
        }
        return s;
    }

    public Output<String> pkiKeyArn() {
        return pkiKey.arn();
    }

    /** The token parameter: what workers may read. */
    public Output<String> bootstrapTokenArn() {
        return bootstrapTokenArn;
    }

    /** All PKI parameters and the token: what masters may read. */
    public List<Output<String>> masterReadableArns() {
        List<Output<String>> all = new ArrayList<>(pkiArns);
        all.add(bootstrapTokenArn);
        return all;
    }
}
