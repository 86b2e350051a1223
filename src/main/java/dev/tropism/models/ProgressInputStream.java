package dev.tropism.models;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** An input stream that reports how many bytes have been read, each time another {@code every} bytes have passed. */
final class ProgressInputStream extends FilterInputStream {

    private final long every;
    private final LongConsumer report;
    private long read;
    private long reportedAt;

    ProgressInputStream(InputStream in, long every, LongConsumer report) {
        super(in);
        this.every = every;
        this.report = report;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            advance(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            advance(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        advance(skipped);
        return skipped;
    }

    /** No mark and reset: a re-read would be counted twice. */
    @Override
    public boolean markSupported() {
        return false;
    }

    private void advance(long n) {
        read += n;
        if (read - reportedAt >= every) {
            reportedAt = read;
            report.accept(read);
        }
    }
}
