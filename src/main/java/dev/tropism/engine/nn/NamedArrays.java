package dev.tropism.engine.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** Weights on disk: one {@code .ndlist} of arrays named by their parameter names, in map order. */
public final class NamedArrays {

    private NamedArrays() {
    }

    /**
     * Writes every array of {@code params} under its key. Arrays on a GPU are written through host copies that live
     * until the file is written (one model's worth of host memory at most).
     */
    public static void write(Map<String, NDArray> params, OutputStream out) throws IOException {
        try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
            NDList list = new NDList(params.size());
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray a = HostArrays.onHost(e.getValue(), host);
                a.setName(e.getKey());
                list.add(a);
            }
            list.encode(out);
        }
    }

    /** Puts a copy of every array of {@code from} into {@code into}, under the same name, owned by {@code owner}. */
    public static void duplicateInto(Map<String, NDArray> from, Map<String, NDArray> into, NDManager owner) {
        for (Map.Entry<String, NDArray> e : from.entrySet()) {
            NDArray a = e.getValue().duplicate();
            a.attach(owner);
            into.put(e.getKey(), a);
        }
    }

    /**
     * Copies the arrays written by {@link #write} into the existing arrays of {@code params}: the names,
     * the count and every shape must match.
     *
     * @param scratch parent of the temporary manager that holds the decoded arrays
     */
    public static void readInto(Map<String, NDArray> params, InputStream in, NDManager scratch) throws IOException {
        try (NDManager tmp = scratch.newSubManager()) {
            NDList list = NDList.decode(tmp, in);
            if (list.size() != params.size()) {
                throw new IOException("weights hold " + list.size() + " arrays, the config expects " + params.size());
            }
            for (NDArray a : list) {
                NDArray target = params.get(a.getName());
                if (target == null || !target.getShape().equals(a.getShape())) {
                    throw new IOException("weight '" + a.getName() + "' " + a.getShape() + " does not fit the config");
                }
                // Copy into the existing storage; set(Buffer) would re-point it at a temporary buffer.
                target.set(new NDIndex("..."), a);
            }
        }
    }
}
