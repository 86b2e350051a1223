package dev.tropism.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Object storage for datasets, checkpoints and models. Keys are slash-separated paths such as
 * {@code datasets/ds_abc/data.jsonl}. Every stored object carries the sha256 of its bytes. The
 * default implementation is a local folder; an S3-compatible one comes later.
 */
public interface ObjectStore {

    /** Stores {@code content} under {@code key}, replacing any previous object, and returns its metadata. */
    StoredObject put(String key, InputStream content) throws IOException;

    /** Opens the object's bytes; the caller closes the stream. Empty when absent. */
    Optional<InputStream> get(String key) throws IOException;

    /** Metadata of one object, empty when absent. */
    Optional<StoredObject> stat(String key) throws IOException;

    /** Objects whose key starts with {@code prefix}, sorted by key. */
    List<StoredObject> list(String prefix) throws IOException;

    /** Deletes one object; returns false when it did not exist. */
    boolean delete(String key) throws IOException;

    /** Deletes every object under {@code prefix}; returns how many. */
    int deletePrefix(String prefix) throws IOException;
}
