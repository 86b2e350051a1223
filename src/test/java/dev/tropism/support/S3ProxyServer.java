package dev.tropism.support;

import java.net.URI;
import java.util.UUID;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.TransientApiMetadata;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server in the test JVM: S3Proxy on 127.0.0.1 (a free port) over jclouds' in-memory {@code transient}
 * blob store, with SigV4 authentication by {@link #credentials()}, taking no single {@code PutObject} over
 * {@link #MAX_SINGLE_PUT}. Its objects are gone when it is closed.
 */
public final class S3ProxyServer implements AutoCloseable {

    private static final String ACCESS_KEY = "tropism-test";
    private static final String SECRET_KEY = "tropism-test-secret";
    /**
     * The largest object this server takes in one {@code PutObject}: S3's smallest part size (5 MiB), so a larger
     * object that a store manages to put was uploaded in parts.
     */
    public static final long MAX_SINGLE_PUT = 5L << 20;

    private final BlobStoreContext blobs;
    private final S3Proxy proxy;
    private final S3Client client;

    private S3ProxyServer(BlobStoreContext blobs, S3Proxy proxy) {
        this.blobs = blobs;
        this.proxy = proxy;
        this.client = S3Client.builder().endpointOverride(endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                // S3Proxy answers 501 to the SDK's default aws-chunked CRC trailers
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    public static S3ProxyServer start() {
        // the transient API given directly: looking "transient" up by name would load every provider, Azure's too
        BlobStoreContext blobs = ContextBuilder.newBuilder(new TransientApiMetadata())
                .credentials(ACCESS_KEY, SECRET_KEY).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .maxSinglePartObjectSize(MAX_SINGLE_PUT).build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            blobs.close();
            throw new IllegalStateException("S3Proxy did not start", e);
        }
        return new S3ProxyServer(blobs, proxy);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** A raw client of this server (path-style), for tests to look at or tamper with objects behind a store. */
    public S3Client client() {
        return client;
    }

    /** Creates a bucket with a new name and returns that name. */
    public String newBucket() {
        String name = "tropism-" + UUID.randomUUID().toString().substring(0, 8);
        client.createBucket(b -> b.bucket(name));
        return name;
    }

    @Override
    public void close() throws Exception {
        client.close();
        try {
            proxy.stop();
        } finally {
            blobs.close();
        }
    }
}
