package dev.kilonode.pki;

import com.pulumi.aws.ssm.Parameter;
import com.pulumi.aws.ssm.ParameterArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.config.PkiSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster's PKI and bootstrap token in SSM Parameter Store, where nodes read them with their instance role at
 * boot: private keys and the token as SecureString (encrypted with the account's aws/ssm KMS key), certificates as
 * String. Values come in as Pulumi secrets, so they are encrypted in the state too; user-data only names them.
 */
public class ClusterSecrets extends ComponentResource {

    public static final String TYPE = "kilonode:pki:ClusterSecrets";

    /** The secret halves, as Pulumi secret outputs read from stack config by the stack program. */
    public record SecretValues(Output<String> caKey, Output<String> frontProxyCaKey, Output<String> etcdCaKey,
                               Output<String> serviceAccountKey, Output<String> bootstrapToken) {
    }

    public record Args(String ssmPrefix, PkiSpec pki, SecretValues secrets, Map<String, String> tags, boolean protect) {
    }

    private final Output<String> bootstrapTokenArn;
    private final List<Output<String>> pkiArns = new ArrayList<>();

    public ClusterSecrets(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        var opts = CustomResourceOptions.builder().parent(this).protect(args.protect()).build();
        String pki = args.ssmPrefix() + "/pki/";
        this.bootstrapTokenArn = secure(name + "-bootstrap-token", args.ssmPrefix() + "/bootstrap-token",
                args.secrets().bootstrapToken(), args, opts).arn();
        pkiArns.add(plain(name + "-ca-crt", pki + "ca.crt", args.pki().caCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-ca-key", pki + "ca.key", args.secrets().caKey(), args, opts).arn());
        pkiArns.add(plain(name + "-front-proxy-ca-crt", pki + "front-proxy-ca.crt", args.pki().frontProxyCaCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-front-proxy-ca-key", pki + "front-proxy-ca.key", args.secrets().frontProxyCaKey(), args, opts).arn());
        pkiArns.add(plain(name + "-etcd-ca-crt", pki + "etcd-ca.crt", args.pki().etcdCaCertificate(), args, opts).arn());
        pkiArns.add(secure(name + "-etcd-ca-key", pki + "etcd-ca.key", args.secrets().etcdCaKey(), args, opts).arn());
        pkiArns.add(plain(name + "-sa-pub", pki + "sa.pub", args.pki().serviceAccountPublicKey(), args, opts).arn());
        pkiArns.add(secure(name + "-sa-key", pki + "sa.key", args.secrets().serviceAccountKey(), args, opts).arn());
        registerOutputs(Map.of("bootstrapTokenArn", bootstrapTokenArn));
    }

    private Parameter secure(String resourceName, String path, Output<String> value, Args args, CustomResourceOptions opts) {
        return new Parameter(resourceName, ParameterArgs.builder()
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
