package dev.kilonode.backup;

import com.pulumi.aws.cloudwatch.MetricAlarm;
import com.pulumi.aws.cloudwatch.MetricAlarmArgs;
import com.pulumi.aws.s3.BucketLifecycleConfigurationV2;
import com.pulumi.aws.s3.BucketLifecycleConfigurationV2Args;
import com.pulumi.aws.s3.BucketPublicAccessBlock;
import com.pulumi.aws.s3.BucketPublicAccessBlockArgs;
import com.pulumi.aws.s3.BucketServerSideEncryptionConfigurationV2;
import com.pulumi.aws.s3.BucketServerSideEncryptionConfigurationV2Args;
import com.pulumi.aws.s3.BucketV2;
import com.pulumi.aws.s3.BucketV2Args;
import com.pulumi.aws.s3.BucketVersioningV2;
import com.pulumi.aws.s3.BucketVersioningV2Args;
import com.pulumi.aws.s3.inputs.BucketLifecycleConfigurationV2RuleArgs;
import com.pulumi.aws.s3.inputs.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs;
import com.pulumi.aws.s3.inputs.BucketLifecycleConfigurationV2RuleExpirationArgs;
import com.pulumi.aws.s3.inputs.BucketLifecycleConfigurationV2RuleFilterArgs;
import com.pulumi.aws.s3.inputs.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs;
import com.pulumi.aws.s3.inputs.BucketServerSideEncryptionConfigurationV2RuleArgs;
import com.pulumi.aws.s3.inputs.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs;
import com.pulumi.aws.s3.inputs.BucketVersioningV2VersioningConfigurationArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.Map;

/**
 * Where etcd survives its ephemeral disk (report 003: "VM destroyed, data lost"; report 001 kept filesystem- and
 * application-level backups to run etcd on local SSD without barriers). Encrypted, versioned, private, and a
 * lifecycle rule that keeps {@code retentionDays} of snapshots. Masters write {@code <stack>/etcd/<timestamp>.db}
 * and {@code <stack>/etcd/latest.db}.
 *
 * <p>The leader's backup counts each upload in CloudWatch ({@value #METRIC_NAMESPACE}/{@value #METRIC_NAME}, dimension
 * {@code Stack}); an alarm fires when a window of one backup interval plus slack passes without one. Missing data
 * is breaching: a backup that silently stopped (expired client certificate, hung etcd, lost role) sends nothing.
 */
public class EtcdBackupBucket extends ComponentResource {

    public static final String TYPE = "kilonode:backup:EtcdBackupBucket";

    public static final String METRIC_NAMESPACE = "Kilonode/Etcd";
    public static final String METRIC_NAME = "SnapshotUploaded";
    /** Timer jitter (RandomizedDelaySec=30s) plus snapshot and upload time: a window this much longer than the
     *  interval always holds one upload while backups work. */
    static final int ALARM_SLACK_SECONDS = 300;
    /** CloudWatch alarms evaluate at most one day (period x evaluation periods). */
    static final int MAX_ALARM_PERIOD_SECONDS = 86_400;

    public record Args(String stack, String namePrefix, int retentionDays, int backupIntervalMinutes, Map<String, String> tags,
                       boolean protect) {
    }

    private final Output<String> bucketName;
    private final Output<String> bucketArn;
    private final String prefix;
    private final Output<String> alarmName;

    public EtcdBackupBucket(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        var opts = CustomResourceOptions.builder().parent(this).protect(args.protect()).build();
        this.prefix = args.stack() + "/etcd";
        BucketV2 bucket = new BucketV2(name, BucketV2Args.builder()
                .bucketPrefix(args.namePrefix() + "-etcd-")
                // Production keeps snapshots even on `pulumi destroy` (the bucket is also protected there).
                .forceDestroy(!args.protect())
                .tags(args.tags())
                .build(), opts);
        new BucketPublicAccessBlock(name, BucketPublicAccessBlockArgs.builder()
                .bucket(bucket.id())
                .blockPublicAcls(true).blockPublicPolicy(true).ignorePublicAcls(true).restrictPublicBuckets(true)
                .build(), opts);
        new BucketVersioningV2(name, BucketVersioningV2Args.builder()
                .bucket(bucket.id())
                .versioningConfiguration(BucketVersioningV2VersioningConfigurationArgs.builder().status("Enabled").build())
                .build(), opts);
        new BucketServerSideEncryptionConfigurationV2(name, BucketServerSideEncryptionConfigurationV2Args.builder()
                .bucket(bucket.id())
                .rules(BucketServerSideEncryptionConfigurationV2RuleArgs.builder()
                        .applyServerSideEncryptionByDefault(
                                BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs.builder()
                                        .sseAlgorithm("aws:kms").build())
                        .bucketKeyEnabled(true)
                        .build())
                .build(), opts);
        new BucketLifecycleConfigurationV2(name, BucketLifecycleConfigurationV2Args.builder()
                .bucket(bucket.id())
                .rules(BucketLifecycleConfigurationV2RuleArgs.builder()
                        .id("expire-etcd-snapshots")
                        .status("Enabled")
                        .filter(BucketLifecycleConfigurationV2RuleFilterArgs.builder().prefix(prefix + "/").build())
                        .expiration(BucketLifecycleConfigurationV2RuleExpirationArgs.builder().days(args.retentionDays()).build())
                        .noncurrentVersionExpiration(BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs.builder()
                                .noncurrentDays(args.retentionDays()).build())
                        .abortIncompleteMultipartUpload(BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs.builder()
                                .daysAfterInitiation(1).build())
                        .build())
                .build(), opts);
        MetricAlarm stale = new MetricAlarm(name + "-snapshot-stale", MetricAlarmArgs.builder()
                .name(args.namePrefix() + "-etcd-snapshot-stale")
                .alarmDescription("kilonode " + args.stack() + ": no etcd snapshot uploaded to S3 within one backup interval ("
                        + args.backupIntervalMinutes() + " min) plus slack; see README, etcd section")
                .namespace(METRIC_NAMESPACE)
                .metricName(METRIC_NAME)
                .dimensions(Map.of("Stack", args.stack()))
                .statistic("Sum")
                .period(alarmPeriodSeconds(args.backupIntervalMinutes()))
                .evaluationPeriods(1)
                .comparisonOperator("LessThanThreshold")
                .threshold(1.0)
                .treatMissingData("breaching")
                .tags(args.tags())
                .build(), CustomResourceOptions.builder().parent(this).build());
        this.alarmName = stale.name();
        this.bucketName = bucket.bucket();
        this.bucketArn = bucket.arn();
        registerOutputs(Map.of("bucketName", bucketName, "bucketArn", bucketArn, "snapshotAlarmName", alarmName));
    }

    /** One backup interval plus slack, whole minutes (CloudWatch periods of a minute or more are multiples of 60). */
    static int alarmPeriodSeconds(int backupIntervalMinutes) {
        return Math.min(backupIntervalMinutes * 60 + ALARM_SLACK_SECONDS, MAX_ALARM_PERIOD_SECONDS);
    }

    public Output<String> snapshotAlarmName() {
        return alarmName;
    }

    public Output<String> bucketName() {
        return bucketName;
    }

    public Output<String> bucketArn() {
        return bucketArn;
    }

    /** Object key prefix of this stack's snapshots (no trailing slash). */
    public String prefix() {
        return prefix;
    }
}
