package dev.kilonode.config;

/**
 * etcd on the masters' instance-store SSD.
 *
 * @param writeBarrier   ext4 write barriers on the etcd disk. Report 001 measured local SSD at half the throughput of
 *                       network SSD until barriers were turned off; off risks losing the last writes on power loss,
 *                       which the snapshot bucket covers.
 * @param eventsEtcd     a second etcd for {@code events}: AUTO turns it on from {@link #EVENTS_ETCD_AUTO_WORKERS} workers
 * @param backupIntervalMinutes how often each master snapshots etcd to S3
 * @param backupRetentionDays   how long snapshots are kept (S3 lifecycle rule)
 */
public record EtcdSpec(boolean writeBarrier, Toggle eventsEtcd, int backupIntervalMinutes, int backupRetentionDays) {

    /**
     * Report 001: events were the heaviest range queries on etcd (130,830 log lines vs 107,737 for pods) at 4,100
     * nodes; we split them off from 500 workers, the tier where the tuning profile also raises etcd's quota to 8 GiB.
     */
    public static final int EVENTS_ETCD_AUTO_WORKERS = 500;

    public enum Toggle { AUTO, ON, OFF }

    public boolean eventsEtcdEnabled(int workers) {
        return switch (eventsEtcd) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> workers >= EVENTS_ETCD_AUTO_WORKERS;
        };
    }
}
