package dev.tropism.storage;

import dev.tropism.web.Hashes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.URI;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in an S3-compatible bucket ({@code tropism.storage.type=s3}), under an optional key prefix, on the AWS SDK
 * v2's synchronous client.
 *
 * <p>Each object carries its sha256 and size as user metadata ({@code x-amz-meta-sha256}, {@code x-amz-meta-size});
 * every {@link #get} is verified against them ({@link VerifyingInputStream}). An object no larger than one part is
 * stored with a single {@code PutObject}. A larger one is streamed part by part ({@code CreateMultipartUpload},
 * {@code UploadPart}, {@code CompleteMultipartUpload}, aborted on any failure), hashed as it goes, holding one part in
 * memory; its sha256 is known only at the end, so it is then written into the object's metadata by copying the object
 * onto itself on the server (guarded by the uploaded ETag). An object found without a sha256 (one copied into the
 * bucket by another tool, or left by a crash between the upload and that copy) is hashed once on its first
 * {@link #stat} or {@link #get}, and the result stored.
 */
final class S3ObjectStore implements ObjectStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);

    /** S3's smallest part, except the last one. */
    static final long MIN_PART_SIZE = 5L << 20;
    /** S3's largest part, and its largest single {@code CopyObject}. */
    static final long MAX_PART_SIZE = 5L << 30;
    /** S3's most parts in one multipart upload. */
    static final int MAX_PARTS = 10_000;
    /** Parts of a multipart copy (objects over {@link #largestSingleCopy}): 10,000 of them cover S3's 5 TiB. */
    private static final long COPY_PART_SIZE = 1L << 30;
    private static final String SHA256 = "sha256";
    private static final String SIZE = "size";
    private static final String CONTENT_TYPE = "application/octet-stream";

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int partSize;
    private final long largestSingleCopy;

    /**
     * Takes ownership of {@code s3} (closed with the store, or at once when the bucket check fails). Fails with an
     * {@link IllegalStateException} naming the bucket and the endpoint when the bucket does not exist or cannot be
     * reached.
     */
    S3ObjectStore(S3Client s3, String bucket, String prefix, long partSize) {
        this(s3, bucket, prefix, partSize, MAX_PART_SIZE);
    }

    /** {@code largestSingleCopy}: objects larger are copied in parts; a test lowers it to reach that path. */
    S3ObjectStore(S3Client s3, String bucket, String prefix, long partSize, long largestSingleCopy) {
        try {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalStateException("tropism.storage.s3.bucket is required with tropism.storage.type=s3");
            }
            if (partSize < MIN_PART_SIZE || partSize > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("tropism.storage.s3.part-size must be between 5MB (S3's smallest part)"
                        + " and 2GB, not " + partSize + " bytes");
            }
            this.s3 = s3;
            this.bucket = bucket;
            this.prefix = normalizePrefix(prefix);
            this.partSize = (int) partSize;
            this.largestSingleCopy = largestSingleCopy;
            checkBucket();
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    /** The store of {@code tropism.storage.s3.*}; credentials from {@code credentials}, else the SDK's default. */
    static S3ObjectStore open(StorageProperties.S3 properties, AwsCredentialsProvider credentials) {
        return new S3ObjectStore(client(properties, credentials), properties.bucket(), properties.prefix(),
                properties.partSize().toBytes());
    }

    static S3Client client(StorageProperties.S3 properties, AwsCredentialsProvider credentials) {
        S3ClientBuilder builder = S3Client.builder()
                .forcePathStyle(properties.pathStyleAccess())
                // Integrity is checked end to end by the sha256 of each object. The SDK's default CRC checksums
                // (sent as aws-chunked trailers) are not understood by every S3-compatible server.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (credentials != null) {
            builder.credentialsProvider(credentials);
        }
        if (properties.endpoint() != null) {
            builder.endpointOverride(properties.endpoint());
        }
        if (properties.region() != null && !properties.region().isBlank()) {
            builder.region(Region.of(properties.region()));
        } else if (properties.endpoint() != null) {
            builder.region(Region.US_EAST_1); // S3-compatible servers mostly ignore it, but SigV4 needs one
        }
        return builder.build();
    }

    private static String normalizePrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "";
        }
        String p = prefix.endsWith("/") ? prefix : prefix + "/";
        try {
            ObjectKeys.checkPrefix(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("tropism.storage.s3.prefix is not a valid key prefix: '" + prefix + "'");
        }
        return p;
    }

    private String where() {
        Optional<URI> endpoint = s3.serviceClientConfiguration().endpointOverride();
        return endpoint.map(URI::toString).orElse("AWS S3 (" + s3.serviceClientConfiguration().region() + ")");
    }

    private void checkBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            String why = switch (e.statusCode()) {
                case 404 -> "does not exist; create it, or set tropism.storage.s3.bucket to one that does";
                case 301, 400 -> "is in another region than " + s3.serviceClientConfiguration().region()
                        + "; set tropism.storage.s3.region (HTTP " + e.statusCode() + ")";
                case 403 -> "refuses these credentials (HTTP 403); check the AWS credentials given to the service";
                default -> "cannot be used: HTTP " + e.statusCode() + " " + e.getMessage();
            };
            throw new IllegalStateException("S3 bucket '" + bucket + "' at " + where() + " " + why, e);
        } catch (SdkException e) {
            throw new IllegalStateException("S3 bucket '" + bucket + "' at " + where() + " cannot be reached: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public StoredObject put(String key, InputStream content) throws IOException {
        ObjectKeys.checkKey(key);
        String objectKey = prefix + key;
        MessageDigest digest = Hashes.sha256();
        byte[] part = new byte[partSize];
        int n = content.readNBytes(part, 0, partSize);
        digest.update(part, 0, n);
        PushbackInputStream rest = new PushbackInputStream(content, 1);
        int next = n < partSize ? -1 : rest.read();
        if (next < 0) {
            String sha = Hashes.hex(digest.digest());
            int size = n;
            call("store", key, () -> s3.putObject(b -> b.bucket(bucket).key(objectKey).contentType(CONTENT_TYPE)
                    .metadata(metadata(sha, size)),
                    RequestBody.fromInputStream(new ByteArrayInputStream(part, 0, size), size)));
        } else {
            rest.unread(next);
            putMultipart(key, objectKey, part, n, rest, digest);
        }
        return stat(key).orElseThrow(() -> new IOException("Object '" + key + "' vanished right after it was stored"));
    }

    /** Uploads {@code first} bytes of {@code part}, then the rest of {@code content}, one part at a time. */
    private void putMultipart(String key, String objectKey, byte[] part, int first, InputStream content,
            MessageDigest digest) throws IOException {
        String uploadId = call("start a multipart upload of", key, () -> s3.createMultipartUpload(b -> b.bucket(bucket)
                .key(objectKey).contentType(CONTENT_TYPE))).uploadId();
        long size = 0;
        String eTag;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            for (int n = first; n > 0; n = readPart(content, part, digest)) {
                if (parts.size() == MAX_PARTS) {
                    throw new IOException("Object '" + key + "' is larger than " + MAX_PARTS + " parts of " + partSize
                            + " bytes; raise tropism.storage.s3.part-size");
                }
                int number = parts.size() + 1;
                int length = n;
                String partTag = call("upload part " + number + " of", key, () -> s3.uploadPart(b -> b.bucket(bucket)
                        .key(objectKey).uploadId(uploadId).partNumber(number).contentLength((long) length),
                        RequestBody.fromInputStream(new ByteArrayInputStream(part, 0, length), length))).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(partTag).build());
                size += n;
            }
            eTag = call("complete the multipart upload of", key, () -> s3.completeMultipartUpload(b -> b.bucket(bucket)
                    .key(objectKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts)))).eTag();
        } catch (IOException | RuntimeException e) {
            abort(objectKey, uploadId, e);
            throw e;
        }
        try {
            writeMetadata(key, objectKey, eTag, Hashes.hex(digest.digest()), size);
        } catch (IOException | RuntimeException e) {
            // Without its sha256 the object would be hashed again on its first read: remove it, the put failed.
            try {
                s3.deleteObject(b -> b.bucket(bucket).key(objectKey));
            } catch (SdkException delete) {
                e.addSuppressed(delete);
            }
            throw e;
        }
    }

    /** Aborts a multipart upload (or copy) that failed with {@code failure}, so that no parts are left to bill. */
    private void abort(String objectKey, String uploadId, Exception failure) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
        } catch (SdkException abort) {
            failure.addSuppressed(abort);
        }
    }

    private int readPart(InputStream content, byte[] part, MessageDigest digest) throws IOException {
        int n = content.readNBytes(part, 0, part.length);
        digest.update(part, 0, n);
        return n;
    }

    /**
     * Sets the object's sha256 and size by copying it onto itself with new metadata, provided it is still the object
     * with {@code eTag}: a single {@code CopyObject} up to {@link #largestSingleCopy}, a multipart copy beyond.
     */
    private void writeMetadata(String key, String objectKey, String eTag, String sha, long size) throws IOException {
        Map<String, String> metadata = metadata(sha, size);
        if (size <= largestSingleCopy) {
            call("record the sha256 of", key, () -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(objectKey)
                    .destinationBucket(bucket).destinationKey(objectKey).copySourceIfMatch(eTag)
                    .metadataDirective(MetadataDirective.REPLACE).metadata(metadata).contentType(CONTENT_TYPE)));
            return;
        }
        long copyPart = Math.max(partSize, Math.min(largestSingleCopy, COPY_PART_SIZE));
        String uploadId = call("start a multipart copy of", key, () -> s3.createMultipartUpload(b -> b.bucket(bucket)
                .key(objectKey).contentType(CONTENT_TYPE).metadata(metadata))).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            for (long from = 0; from < size; from += copyPart) {
                int number = parts.size() + 1;
                String range = "bytes=" + from + "-" + (Math.min(from + copyPart, size) - 1);
                String partTag = call("copy part " + number + " of", key, () -> s3.uploadPartCopy(b -> b
                        .sourceBucket(bucket).sourceKey(objectKey).copySourceIfMatch(eTag).copySourceRange(range)
                        .destinationBucket(bucket).destinationKey(objectKey).uploadId(uploadId).partNumber(number)))
                        .copyPartResult().eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(partTag).build());
            }
            call("complete the multipart copy of", key, () -> s3.completeMultipartUpload(b -> b.bucket(bucket)
                    .key(objectKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
        } catch (IOException | RuntimeException e) {
            abort(objectKey, uploadId, e);
            throw e;
        }
    }

    private static Map<String, String> metadata(String sha, long size) {
        return Map.of(SHA256, sha, SIZE, Long.toString(size));
    }

    @Override
    public Optional<InputStream> get(String key) throws IOException {
        ObjectKeys.checkKey(key);
        Optional<ResponseInputStream<GetObjectResponse>> opened = open(key);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        ResponseInputStream<GetObjectResponse> in = opened.get();
        GetObjectResponse r = in.response();
        String sha = r.metadata().get(SHA256);
        long size = size(r.metadata(), r.contentLength());
        if (sha == null) {
            in.abort();
            in.close();
            StoredObject hashed = hashAndRecord(key, r.eTag());
            opened = open(key);
            if (opened.isEmpty()) {
                return Optional.empty();
            }
            in = opened.get();
            sha = hashed.sha256();
            size = hashed.size();
        }
        ResponseInputStream<GetObjectResponse> stream = in;
        return Optional.of(new VerifyingInputStream(stream, key, sha, size, stream::abort));
    }

    private Optional<ResponseInputStream<GetObjectResponse>> open(String key) throws IOException {
        return unlessMissing("read", key, () -> s3.getObject(b -> b.bucket(bucket).key(prefix + key)));
    }

    private static long size(Map<String, String> metadata, Long contentLength) {
        String size = metadata.get(SIZE);
        try {
            return size != null ? Long.parseLong(size) : contentLength;
        } catch (NumberFormatException e) {
            return contentLength;
        }
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        Optional<HeadObjectResponse> head = head(key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        HeadObjectResponse h = head.get();
        String sha = h.metadata().get(SHA256);
        if (sha == null) {
            return Optional.of(hashAndRecord(key, h.eTag()));
        }
        return Optional.of(new StoredObject(key, h.contentLength(), sha, h.lastModified()));
    }

    private Optional<HeadObjectResponse> head(String key) throws IOException {
        ObjectKeys.checkKey(key);
        return unlessMissing("stat", key, () -> s3.headObject(b -> b.bucket(bucket).key(prefix + key)));
    }

    /**
     * Hashes an object that has no sha256 yet by reading it once, and records the result in its metadata. Recording
     * is best effort (read-only credentials, say): the hash is returned either way.
     */
    private StoredObject hashAndRecord(String key, String eTag) throws IOException {
        String objectKey = prefix + key;
        MessageDigest digest = Hashes.sha256();
        long size;
        try (ResponseInputStream<GetObjectResponse> in = call("read", key, () -> s3.getObject(b -> b.bucket(bucket)
                .key(objectKey).ifMatch(eTag)))) {
            size = in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        }
        String sha = Hashes.hex(digest.digest());
        try {
            writeMetadata(key, objectKey, eTag, sha, size);
        } catch (IOException e) {
            log.warn("Object '{}' has no sha256 in its metadata and recording it failed; it is hashed on every read",
                    key, e);
        }
        HeadObjectResponse h = call("stat", key, () -> s3.headObject(b -> b.bucket(bucket).key(objectKey)));
        return new StoredObject(key, size, sha, h.lastModified());
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        String p = ObjectKeys.checkPrefix(prefix);
        List<String> keys = new ArrayList<>();
        call("list", p, () -> {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(this.prefix + p)).contents()) {
                keys.add(o.key().substring(this.prefix.length()));
            }
            return keys;
        });
        List<StoredObject> out = new ArrayList<>();
        for (String key : keys) {
            if (isValidKey(key)) { // skips folder markers ("a/") that other tools leave
                stat(key).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(StoredObject::key));
        return out;
    }

    private static boolean isValidKey(String key) {
        try {
            ObjectKeys.checkKey(key);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        if (head(key).isEmpty()) { // S3's DeleteObject answers the same whether or not the key existed
            return false;
        }
        call("delete", key, () -> s3.deleteObject(b -> b.bucket(bucket).key(prefix + key)));
        return true;
    }

    /**
     * One {@code DeleteObject} per object: the batch {@code DeleteObjects} needs a request checksum that not every
     * S3-compatible server accepts in the form this SDK sends it (S3Proxy answers 501), and a prefix here (a dataset,
     * a model, a job's checkpoints) holds tens of objects, not thousands.
     */
    @Override
    public int deletePrefix(String prefix) throws IOException {
        List<StoredObject> objects = list(prefix);
        for (StoredObject o : objects) {
            call("delete", o.key(), () -> s3.deleteObject(b -> b.bucket(bucket).key(this.prefix + o.key())));
        }
        return objects.size();
    }

    @Override
    public void close() {
        s3.close();
    }

    private <T> T call(String action, String key, Supplier<T> request) throws IOException {
        try {
            return request.get();
        } catch (SdkException e) {
            throw failure(action, key, e);
        }
    }

    /** The answer to a request about one object; empty when the object is not there (HTTP 404). */
    private <T> Optional<T> unlessMissing(String action, String key, Supplier<T> request) throws IOException {
        try {
            return Optional.of(request.get());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure(action, key, e);
        } catch (SdkException e) {
            throw failure(action, key, e);
        }
    }

    private IOException failure(String action, String key, SdkException e) {
        return new IOException("S3: could not " + action + " '" + key + "' in bucket '" + bucket + "' at " + where()
                + ": " + e.getMessage(), e);
    }
}
