package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.S3ProxyServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/** {@code tropism.storage.type} picks the store; a bucket that is not there stops the context with a clear message. */
class StorageConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(StorageProperties.class)
    static class Properties {
    }

    @TempDir
    Path root;

    ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withUserConfiguration(Properties.class, StorageConfiguration.class)
                .withPropertyValues("tropism.storage.local-root=" + root);
    }

    @Test
    void localIsTheDefault() {
        runner().run(context -> assertThat(context).hasSingleBean(ObjectStore.class)
                .getBean(ObjectStore.class).isInstanceOf(LocalObjectStore.class));
    }

    @Test
    void unknownTypeFailsNamingTheProperty() {
        runner().withPropertyValues("tropism.storage.type=gcs").run(context -> assertThat(context).hasFailed()
                .getFailure().hasMessageContaining("prefix=tropism.storage").rootCause().hasMessageContaining("gcs"));
    }

    @Test
    void s3StoreIsChosenAndAMissingBucketStopsTheContext() throws Exception {
        try (S3ProxyServer server = S3ProxyServer.start()) {
            String bucket = server.newBucket();
            ApplicationContextRunner s3 = runner().withBean(AwsCredentialsProvider.class, server::credentials)
                    .withPropertyValues("tropism.storage.type=s3", "tropism.storage.s3.endpoint=" + server.endpoint(),
                            "tropism.storage.s3.path-style-access=true");
            s3.withPropertyValues("tropism.storage.s3.bucket=" + bucket).run(context -> assertThat(context)
                    .getBean(ObjectStore.class).isInstanceOf(S3ObjectStore.class));
            // the message of the startup failure itself, as Boot reports it, names the bucket and the endpoint
            s3.withPropertyValues("tropism.storage.s3.bucket=missing-bucket").run(context -> assertThat(context)
                    .hasFailed().getFailure().hasMessageContaining("S3 bucket 'missing-bucket' at "
                            + server.endpoint() + " does not exist; create it, or set tropism.storage.s3.bucket to one"
                            + " that does"));
        }
    }
}
