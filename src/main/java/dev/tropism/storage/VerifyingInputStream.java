package dev.tropism.storage;

import dev.tropism.web.Hashes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * An object's bytes, hashed as they are read: at the end of the stream the sha256 and the size must be the ones
 * stored with the object, or the read that reached the end fails with an {@link IOException} naming the key. Every
 * {@link ObjectStore#get} returns one, so a corrupted or truncated object is never taken for a good one by a reader
 * that reads to the end. A reader that stops early verifies nothing.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final String key;
    private final String expectedSha256;
    private final long expectedSize;
    private final Runnable abandon;
    private final MessageDigest digest = Hashes.sha256();
    private long count;
    private boolean verified;
    private IOException mismatch;

    /**
     * @param abandon run on {@link #close()} before the end was reached (an S3 store aborts the HTTP response there
     *     rather than draining the rest of a large object); may be a no-op
     */
    VerifyingInputStream(InputStream in, String key, String expectedSha256, long expectedSize, Runnable abandon) {
        super(in);
        this.key = key;
        this.expectedSha256 = expectedSha256;
        this.expectedSize = expectedSize;
        this.abandon = abandon;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b < 0) {
            verify();
        } else {
            digest.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            verify();
        } else {
            digest.update(b, off, n);
            count += n;
        }
        return n;
    }

    /** Skipped bytes are read and hashed too: the check at the end covers the whole object. */
    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: a reset would hash bytes twice
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    @Override
    public void close() throws IOException {
        if (!verified) {
            abandon.run();
        }
        super.close();
    }

    /** At the end of the stream, every time it is reached: a reader that retries the last read fails again. */
    private void verify() throws IOException {
        if (!verified) {
            verified = true;
            String actual = Hashes.hex(digest.digest());
            if (count != expectedSize || !actual.equals(expectedSha256)) {
                mismatch = new IOException("Object '" + key + "' is corrupt: read " + count + " bytes with sha256 "
                        + actual + ", but it was stored with " + expectedSize + " bytes and sha256 " + expectedSha256);
            }
        }
        if (mismatch != null) {
            throw mismatch;
        }
    }
}
