package dev.tropism.models;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Unpacks an uploaded model archive ({@code .tar}, {@code .tar.gz}/{@code .tgz} or {@code .zip}) into a directory,
 * entry by entry as streams. It refuses, with a message naming the entry:
 * <ul>
 *   <li>paths that would land outside the directory ("zip slip": absolute, or with {@code ..});</li>
 *   <li>links and device entries (a model directory holds plain files);</li>
 *   <li>more than {@code maxBytes} of unpacked content (a decompression bomb), and more than {@link #MAX_ENTRIES}
 *       entries;</li>
 *   <li>truncated or corrupt archives.</li>
 * </ul>
 * An archive that wraps the model in one top-level folder is fine: {@link #modelRoot} finds {@code config.json}.
 */
final class ModelArchive {

    /** A HF model directory has a handful of files (plus shards); this bounds the work an upload can cause. */
    static final int MAX_ENTRIES = 10_000;

    /** Why an archive cannot be unpacked; the message is for the uploader. */
    static final class BadArchiveException extends Exception {
        BadArchiveException(String message) {
            super(message);
        }
    }

    /** The archive kinds, from the uploaded file's name. */
    enum Kind {
        TAR, TAR_GZ, ZIP;

        static Kind of(String filename) throws BadArchiveException {
            String f = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
            if (f.endsWith(".tar.gz") || f.endsWith(".tgz")) {
                return TAR_GZ;
            }
            if (f.endsWith(".tar")) {
                return TAR;
            }
            if (f.endsWith(".zip")) {
                return ZIP;
            }
            throw new BadArchiveException("must be a .tar, .tar.gz, .tgz or .zip archive of a HuggingFace model"
                    + " directory, got '" + filename + "'");
        }
    }

    private ModelArchive() {
    }

    /** Unpacks {@code archive} into the empty directory {@code into}. */
    static void unpack(Path archive, Kind kind, Path into, long maxBytes) throws BadArchiveException, IOException {
        Budget budget = new Budget(maxBytes);
        try {
            if (kind == Kind.ZIP) {
                unzip(archive, into, budget);
            } else {
                untar(archive, kind == Kind.TAR_GZ, into, budget);
            }
        } catch (ZipException | java.io.EOFException e) { // a gzip stream that is corrupt or ends early
            throw new BadArchiveException("is truncated or corrupt: " + e.getMessage());
        }
    }

    private static void untar(Path archive, boolean gzip, Path into, Budget budget)
            throws BadArchiveException, IOException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
                InputStream raw = gzip ? new GZIPInputStream(file) : file;
                TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
            TarArchiveEntry e;
            while ((e = nextTarEntry(tar)) != null) {
                budget.entry();
                if (e.isDirectory()) {
                    Files.createDirectories(target(into, e));
                    continue;
                }
                if (!e.isFile() || e.isSymbolicLink() || e.isLink()) {
                    throw new BadArchiveException("entry '" + e.getName() + "' is a link or special file; a model"
                            + " archive holds plain files only");
                }
                write(tar, target(into, e), e.getName(), budget);
            }
        } catch (IllegalArgumentException e) { // commons-compress: a corrupt header
            throw new BadArchiveException("is not a readable tar archive: " + e.getMessage());
        }
    }

    private static TarArchiveEntry nextTarEntry(TarArchiveInputStream tar) throws BadArchiveException {
        try {
            return tar.getNextEntry();
        } catch (IOException e) {
            throw new BadArchiveException("is not a readable tar archive: " + e.getMessage());
        }
    }

    private static void unzip(Path archive, Path into, Budget budget) throws BadArchiveException, IOException {
        try (ZipFile zip = openZip(archive)) {
            Enumeration<ZipArchiveEntry> entries = zip.getEntries();
            while (entries.hasMoreElements()) {
                ZipArchiveEntry e = entries.nextElement();
                budget.entry();
                if (e.isDirectory()) {
                    Files.createDirectories(target(into, e));
                    continue;
                }
                if (e.isUnixSymlink()) {
                    throw new BadArchiveException("entry '" + e.getName() + "' is a link; a model archive holds"
                            + " plain files only");
                }
                try (InputStream in = zipEntry(zip, e)) {
                    write(in, target(into, e), e.getName(), budget);
                }
            }
        }
    }

    private static InputStream zipEntry(ZipFile zip, ZipArchiveEntry e) throws BadArchiveException {
        try {
            return zip.getInputStream(e);
        } catch (IOException | RuntimeException x) { // NOPMD: an unsupported method or a corrupt local header
            throw new BadArchiveException("cannot read entry '" + e.getName() + "': " + x.getMessage());
        }
    }

    private static ZipFile openZip(Path archive) throws BadArchiveException {
        try {
            return ZipFile.builder().setPath(archive).get();
        } catch (IOException e) { // no central directory: truncated, or not a zip at all
            throw new BadArchiveException("is not a readable zip archive (truncated?): " + e.getMessage());
        }
    }

    /** Where an entry goes; refuses names that would leave {@code into}. */
    static Path target(Path into, ArchiveEntry e) throws BadArchiveException {
        String name = e.getName();
        if (name.isEmpty() || name.startsWith("/") || name.startsWith("\\") || name.contains("\\")
                || (name.length() > 1 && name.charAt(1) == ':')) {
            throw new BadArchiveException("entry '" + name + "' has an absolute or non-portable path");
        }
        Path root = into.toAbsolutePath().normalize();
        Path t = root.resolve(name).normalize();
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new BadArchiveException("entry '" + name + "' points outside the archive (zip slip)");
            }
        }
        if (!t.startsWith(root) || t.equals(root)) {
            throw new BadArchiveException("entry '" + name + "' points outside the archive (zip slip)");
        }
        return t;
    }

    private static void write(InputStream in, Path target, String name, Budget budget)
            throws BadArchiveException, IOException {
        Files.createDirectories(target.getParent());
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(target)) {
            int n;
            while ((n = read(in, buffer, name)) > 0) {
                budget.bytes(n, name);
                out.write(buffer, 0, n);
            }
        }
    }

    /** Reads from the archive: a failure here is the archive's (truncated, corrupt), not the disk's. */
    private static int read(InputStream in, byte[] buffer, String name) throws BadArchiveException {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            throw new BadArchiveException("is truncated or corrupt at entry '" + name + "': " + e.getMessage());
        }
    }

    /**
     * The directory that holds {@code config.json}: {@code dir} itself, or its only sub-directory (archives made with
     * {@code tar czf model.tgz my-model/}); null when there is none.
     */
    static Path modelRoot(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        try (var children = Files.list(dir)) {
            var all = children.toList();
            if (all.size() == 1 && Files.isDirectory(all.get(0)) && Files.isRegularFile(all.get(0).resolve("config.json"))) {
                return all.get(0);
            }
        }
        return null;
    }

    /** What has been unpacked so far, against the limits. */
    private static final class Budget {
        private final long maxBytes;
        private long bytes;
        private int entries;

        Budget(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        void entry() throws BadArchiveException {
            if (++entries > MAX_ENTRIES) {
                throw new BadArchiveException("has more than " + MAX_ENTRIES + " entries");
            }
        }

        void bytes(int n, String name) throws BadArchiveException {
            bytes += n;
            if (bytes > maxBytes) {
                throw new BadArchiveException("unpacks to more than " + maxBytes + " bytes (at entry '" + name
                        + "'); raise tropism.models.max-unpacked-size to import larger models");
            }
        }
    }
}
