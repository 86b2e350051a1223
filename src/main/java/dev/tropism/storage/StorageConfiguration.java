package dev.tropism.storage;

import java.io.IOException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/** The one {@link ObjectStore} of the application, chosen by {@code tropism.storage.type}. */
@Configuration(proxyBeanMethods = false)
class StorageConfiguration {

    /**
     * An {@link AwsCredentialsProvider} bean, where one exists (tests give static credentials for their in-process S3
     * server), replaces the SDK's default credentials chain. The S3 store is closed with the context.
     */
    @Bean
    ObjectStore objectStore(StorageProperties properties, ObjectProvider<AwsCredentialsProvider> credentials)
            throws IOException {
        return switch (properties.type()) {
            case LOCAL -> new LocalObjectStore(properties.localRoot());
            case S3 -> S3ObjectStore.open(properties.s3(), credentials.getIfAvailable());
        };
    }

    @Bean
    ObjectCache objectCache(ObjectStore store, StorageProperties properties) throws IOException {
        return new ObjectCache(store, properties.cache().dir(), properties.cache().maxSize().toBytes());
    }
}
