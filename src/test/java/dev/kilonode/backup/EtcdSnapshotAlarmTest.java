package dev.kilonode.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.master.MasterUserData;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stale-snapshot alarm and the masters' right to feed it, under the SDK's mock engine. The metric the alarm
 * watches is the one etcd-backup.sh writes (EtcdBackupScriptTest, EtcdLifecycleTest check the script's side).
 */
class EtcdSnapshotAlarmTest {

    static final String ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

    static Stacks.Plan plan(String interval) {
        Map<String, String> config = new HashMap<>(Stacks.config("dev"));
        if (interval != null) {
            config.put("kilonode:etcdBackupIntervalMinutes", interval);
        }
        return Stacks.plan("dev", config);
    }

    @Test
    void firesWhenOneIntervalPassesWithoutAnUploadAndMissingDataBreaches() {
        for (String interval : List.of("15", "60")) {
            PlannedResource alarm = plan(interval).one(ALARM, r -> true);
            Map<String, Object> in = alarm.inputs();
            assertThat(in).containsEntry("namespace", EtcdBackupBucket.METRIC_NAMESPACE)
                    .containsEntry("metricName", EtcdBackupBucket.METRIC_NAME)
                    .containsEntry("statistic", "Sum")
                    .containsEntry("comparisonOperator", "LessThanThreshold")
                    .containsEntry("treatMissingData", "breaching")
                    .containsEntry("evaluationPeriods", 1)
                    .containsEntry("dimensions", Map.of("Stack", "dev"));
            assertThat(((Number) in.get("threshold")).doubleValue()).isEqualTo(1.0);
            int period = ((Number) in.get("period")).intValue();
            int seconds = Integer.parseInt(interval) * 60;
            // Longer than the interval (one upload always falls in a window while backups work), by at most 5 min.
            assertThat(period).isGreaterThan(seconds).isLessThanOrEqualTo(seconds + 300);
            assertThat(period % 60).as("CloudWatch periods of a minute or more are multiples of 60").isZero();
        }
    }

    @Test
    void periodStaysWithinCloudWatchsOneDayEvaluationLimit() {
        assertThat(EtcdBackupBucket.alarmPeriodSeconds(1440)).isEqualTo(86_400);
        assertThat(EtcdBackupBucket.alarmPeriodSeconds(5)).isEqualTo(600);
    }

    @Test
    void mastersMayPutMetricsOnlyInTheEtcdNamespace() throws Exception {
        String policy = (String) plan(null).one("aws:iam/rolePolicy:RolePolicy", r -> r.name().equals("kilonode-master"))
                .inputs().get("policy");
        JsonNode statements = new ObjectMapper().readTree(policy).get("Statement");
        JsonNode put = null;
        for (JsonNode st : statements) {
            if (st.get("Action").toString().contains("cloudwatch:PutMetricData")) {
                put = st;
            }
        }
        assertThat(put).as(policy).isNotNull();
        assertThat(put.get("Action").size()).isEqualTo(1);
        assertThat(put.at("/Condition/StringEquals/cloudwatch:namespace").asText()).isEqualTo(EtcdBackupBucket.METRIC_NAMESPACE);
        // The timers' scripts in SSM, which etcd-prepare.sh installs, are readable by the masters.
        Stacks.Plan devPlan = plan(null);
        for (String script : MasterUserData.SSM_SCRIPTS) {
            PlannedResource p = devPlan.one("aws:ssm/parameter:Parameter",
                    r -> ("/kilonode/dev/control-plane/bin/" + script).equals(r.inputs().get("name")));
            assertThat((String) p.inputs().get("value")).isEqualTo(MasterUserData.ssmScript(script));
            assertThat(policy).contains("parameter/kilonode/dev/control-plane/bin/" + script);
        }
        // Workers get no CloudWatch rights.
        String worker = (String) plan(null).one("aws:iam/rolePolicy:RolePolicy", r -> r.name().contains("worker"))
                .inputs().get("policy");
        assertThat(worker).doesNotContain("cloudwatch");
    }
}
