package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.nn.NamedArrays;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Named parameters of a network, owned by one sub-manager: seeded initialization (Java RNG, so it does
 * not depend on engine-global state), save/load through {@link NamedArrays}, copies and gradient switches.
 */
final class ParamStore implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    ParamStore(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    NDArray get(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalStateException("no parameter " + name);
        }
        return a;
    }

    Map<String, NDArray> all() {
        return Collections.unmodifiableMap(params);
    }

    /** N(0, std²) values. */
    void normal(String name, Random rng, double std, long... shape) {
        long n = new Shape(shape).size();
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        params.put(name, manager.create(v, new Shape(shape)));
    }

    /** He (Kaiming) normal initialization for a weight whose fan-in is the product of all but its first dimension. */
    void he(String name, Random rng, long... shape) {
        long fanIn = new Shape(shape).size() / shape[0];
        normal(name, rng, Math.sqrt(2.0 / fanIn), shape);
    }

    void constant(String name, float value, long... shape) {
        params.put(name, manager.full(new Shape(shape), value, DataType.FLOAT32));
    }

    long count() {
        long n = 0;
        for (NDArray a : params.values()) {
            n += a.size();
        }
        return n;
    }

    void requireGradients(boolean on) {
        for (NDArray a : params.values()) {
            a.setRequiresGradient(on);
        }
    }

    /** A copy of every parameter in a new store under {@code parent}. */
    ParamStore copy(NDManager parent) {
        ParamStore out = new ParamStore(parent);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray a = e.getValue().duplicate();
            a.attach(out.manager);
            out.params.put(e.getKey(), a);
        }
        return out;
    }

    void save(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            NamedArrays.write(params, out);
        }
    }

    void load(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            NamedArrays.readInto(params, in, manager);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
