package dev.tropism.storage;

import dev.tropism.web.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Objects as files under {@code root/blobs/<key>}, each with a {@code root/meta/<key>} file holding
 * {@code <sha256> <size>}. Writes go to a temp file (hashed while streaming) and are moved into place
 * atomically, so readers never see a partial object. Reads are verified against the meta file
 * ({@link VerifyingInputStream}); an object replaced while it is being read may fail that check.
 * The store of {@code tropism.storage.type=local} (the default), rooted at {@code tropism.storage.local-root}.
 */
public class LocalObjectStore implements ObjectStore {

    private final Path blobs;
    private final Path meta;
    private final Path tmp;

    public LocalObjectStore(Path root) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        this.blobs = r.resolve("blobs");
        this.meta = r.resolve("meta");
        this.tmp = r.resolve("tmp");
        Files.createDirectories(blobs);
        Files.createDirectories(meta);
        Files.createDirectories(tmp);
    }

    @Override
    public StoredObject put(String key, InputStream content) throws IOException {
        ObjectKeys.checkKey(key);
        Path target = blobs.resolve(key);
        Path tempData = Files.createTempFile(tmp, "put-", ".part");
        try {
            MessageDigest digest = Hashes.sha256();
            long size;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tempData), digest)) {
                size = content.transferTo(out);
            }
            String sha = Hashes.hex(digest.digest());
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(meta.resolve(key)); // never a meta file beside a blob it does not describe
            move(tempData, target);
            writeMeta(key, sha, size);
            return new StoredObject(key, size, sha, Files.getLastModifiedTime(target).toInstant());
        } finally {
            Files.deleteIfExists(tempData);
        }
    }

    @Override
    public Optional<InputStream> get(String key) throws IOException {
        ObjectKeys.checkKey(key);
        Path file = blobs.resolve(key);
        if (Files.isDirectory(file)) {
            return Optional.empty(); // a folder of other keys, as stat says
        }
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            Recorded recorded = recorded(key, file);
            return Optional.of(new VerifyingInputStream(in, key, recorded.sha256(), recorded.size(), () -> { }));
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        ObjectKeys.checkKey(key);
        Path file = blobs.resolve(key);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attrs.isRegularFile()) {
            return Optional.empty();
        }
        return Optional.of(new StoredObject(key, attrs.size(), recorded(key, file).sha256(),
                attrs.lastModifiedTime().toInstant()));
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        String p = ObjectKeys.checkPrefix(prefix);
        int slash = p.lastIndexOf('/');
        Path start = slash < 0 ? blobs : blobs.resolve(p.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<StoredObject> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String key = blobs.relativize(f).toString().replace('\\', '/');
                if (key.startsWith(p)) {
                    stat(key).ifPresent(out::add);
                }
            }
        }
        out.sort(Comparator.comparing(StoredObject::key));
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        ObjectKeys.checkKey(key);
        Files.deleteIfExists(meta.resolve(key));
        boolean deleted = Files.deleteIfExists(blobs.resolve(key));
        pruneEmptyParents(blobs.resolve(key).getParent(), blobs);
        pruneEmptyParents(meta.resolve(key).getParent(), meta);
        return deleted;
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        int n = 0;
        for (StoredObject o : list(prefix)) {
            if (delete(o.key())) {
                n++;
            }
        }
        return n;
    }

    /** The sha256 and size recorded for an object. */
    private record Recorded(String sha256, long size) {
    }

    /**
     * What the meta file records; when it is missing or unreadable, the blob is hashed once and recorded. A meta file
     * that is present always describes the blob it sits beside ({@link #put} removes the old one before moving a new
     * blob in), so a blob that no longer matches it is corrupt, and {@link #get} says so.
     */
    private Recorded recorded(String key, Path file) throws IOException {
        Path m = meta.resolve(key);
        try {
            String[] parts = Files.readString(m, StandardCharsets.US_ASCII).trim().split(" ");
            if (parts.length == 2 && parts[0].length() == 64) {
                return new Recorded(parts[0], Long.parseLong(parts[1]));
            }
        } catch (NoSuchFileException | NumberFormatException e) {
            // missing or unreadable: compute once below
        }
        MessageDigest digest = Hashes.sha256();
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            size = in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        }
        String sha = Hashes.hex(digest.digest());
        writeMeta(key, sha, size);
        return new Recorded(sha, size);
    }

    private void writeMeta(String key, String sha, long size) throws IOException {
        Path m = meta.resolve(key);
        Files.createDirectories(m.getParent());
        Path t = Files.createTempFile(tmp, "meta-", ".part");
        try {
            Files.writeString(t, sha + " " + size, StandardCharsets.US_ASCII);
            move(t, m);
        } finally {
            Files.deleteIfExists(t);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void pruneEmptyParents(Path dir, Path stop) throws IOException {
        while (dir != null && dir.startsWith(stop) && !dir.equals(stop)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                if (s.iterator().hasNext()) {
                    return;
                }
            } catch (NoSuchFileException e) {
                dir = dir.getParent();
                continue;
            }
            try {
                Files.delete(dir);
            } catch (IOException e) {
                return; // raced with a writer: leave it
            }
            dir = dir.getParent();
        }
    }
}
