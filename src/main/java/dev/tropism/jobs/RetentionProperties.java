package dev.tropism.jobs;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code tropism.retention.*}: checkpoint retention of jobs submitted without {@code retention}.
 *
 * @param keepLast the newest checkpoints a job keeps (with its best by evaluation and every one still referenced);
 *        unset (default): every checkpoint is kept, as before retention existed
 */
@ConfigurationProperties("tropism.retention")
public record RetentionProperties(Integer keepLast) {

    public RetentionProperties {
        if (keepLast != null && keepLast < 1) {
            throw new IllegalArgumentException("tropism.retention.keep-last must be >= 1 (unset keeps every checkpoint),"
                    + " got " + keepLast);
        }
    }
}
