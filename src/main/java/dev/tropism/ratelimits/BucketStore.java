package dev.tropism.ratelimits;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/** Where the buckets live: takes one token from a bucket, creating it full on first use. */
interface BucketStore {

    ConsumptionProbe tryConsumeOne(String bucketId, BucketConfiguration configuration);

    /** In this process: one lock-free Bucket4j bucket per id. */
    final class Local implements BucketStore {

        private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

        @Override
        public ConsumptionProbe tryConsumeOne(String bucketId, BucketConfiguration configuration) {
            return buckets.computeIfAbsent(bucketId, id -> {
                var builder = Bucket.builder();
                for (var bandwidth : configuration.getBandwidths()) {
                    builder.addLimit(bandwidth);
                }
                return builder.build();
            }).tryConsumeAndReturnRemaining(1);
        }
    }

    /**
     * In PostgreSQL's {@code rate_limit_buckets} (V16), shared by every API instance on the database: Bucket4j's
     * select-for-update proxy manager locks the bucket's row for each request.
     */
    final class Postgres implements BucketStore {

        private final ProxyManager<String> buckets;

        Postgres(DataSource dataSource) {
            this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                    .primaryKeyMapper(PrimaryKeyMapper.STRING)
                    .table("rate_limit_buckets").idColumn("id").stateColumn("state")
                    .build();
        }

        @Override
        public ConsumptionProbe tryConsumeOne(String bucketId, BucketConfiguration configuration) {
            return buckets.builder().build(bucketId, () -> configuration).tryConsumeAndReturnRemaining(1);
        }
    }
}
