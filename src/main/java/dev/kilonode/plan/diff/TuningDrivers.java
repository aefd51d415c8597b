package dev.kilonode.plan.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a tuning value changed. The tuning profile is a function of the planned worker count, pods per worker, the master
 * count and type, the worker types and the events etcd (tuning/TuningProfile#forCluster); summary.json records those
 * settings next to the profile, so the settings changes in the same diff name the cause of each tuning change.
 */
final class TuningDrivers {

    private static final Pattern GROUP = Pattern.compile("/settings/workerGroups/(\\d+)/(count|instanceType)");

    private enum Input { WORKERS, PODS_PER_WORKER, WORKER_TYPES, MASTER_COUNT, MASTER_TYPE, EVENTS_ETCD }

    private TuningDrivers() {
    }

    /** The settings changes among {@code changes} that drive the tuning change at {@code tuningPath}, as one phrase. */
    static String of(String tuningPath, List<JsonChanges.Change> changes) {
        List<Input> inputs = inputsOf(tuningPath);
        List<String> drivers = new ArrayList<>();
        for (JsonChanges.Change c : changes) {
            Input input = inputOf(c.path());
            if (input != null && inputs.contains(input)) {
                drivers.add(settingName(c.path()) + " " + DiffReport.value(c.before()) + " -> " + DiffReport.value(c.after()));
            }
        }
        return drivers.isEmpty() ? "" : "driven by " + String.join(", ", drivers);
    }

    /** Which inputs a part of the profile depends on (see TuningProfile#forCluster and Tiers#tierOf). */
    private static List<Input> inputsOf(String path) {
        if (path.startsWith("/tuning/kubelet")) {
            return List.of(Input.WORKER_TYPES, Input.MASTER_TYPE);
        }
        if (path.equals("/tuning/apiServer/goawayChance")) {
            return List.of(Input.MASTER_COUNT);
        }
        if (path.startsWith("/tuning/controlPlane")) {
            return List.of(Input.MASTER_TYPE, Input.MASTER_COUNT, Input.EVENTS_ETCD, Input.WORKERS, Input.PODS_PER_WORKER);
        }
        if (path.startsWith("/tuning/")) {
            // The tier: planned workers and workers x pods per worker.
            return List.of(Input.WORKERS, Input.PODS_PER_WORKER, Input.WORKER_TYPES);
        }
        return List.of();
    }

    private static Input inputOf(String settingsPath) {
        if (settingsPath.equals("/settings/workerGroups")) {
            return Input.WORKERS; // groups added or removed
        }
        Matcher m = GROUP.matcher(settingsPath);
        if (m.matches()) {
            return m.group(2).equals("count") ? Input.WORKERS : Input.WORKER_TYPES;
        }
        return switch (settingsPath) {
            case "/settings/podsPerWorker" -> Input.PODS_PER_WORKER;
            case "/settings/masters/count" -> Input.MASTER_COUNT;
            case "/settings/masters/instanceType" -> Input.MASTER_TYPE;
            case "/settings/etcd/eventsEtcd" -> Input.EVENTS_ETCD;
            default -> null;
        };
    }

    /** The stack setting behind a summary.json path: group 0 is the default group (workerCount, workerInstanceType). */
    private static String settingName(String settingsPath) {
        Matcher m = GROUP.matcher(settingsPath);
        if (m.matches()) {
            int i = Integer.parseInt(m.group(1));
            if (i == 0) {
                return m.group(2).equals("count") ? "kilonode:workerCount" : "kilonode:workerInstanceType";
            }
            return "kilonode:workerGroups[" + (i - 1) + "]." + m.group(2);
        }
        return switch (settingsPath) {
            case "/settings/workerGroups" -> "kilonode:workerGroups";
            case "/settings/podsPerWorker" -> "kilonode:podsPerWorker";
            case "/settings/masters/count" -> "kilonode:masterCount";
            case "/settings/masters/instanceType" -> "kilonode:masterInstanceType";
            case "/settings/etcd/eventsEtcd" -> "events etcd in effect (kilonode:eventsEtcd)";
            default -> settingsPath;
        };
    }
}
