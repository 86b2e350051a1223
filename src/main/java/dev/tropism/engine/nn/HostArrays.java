package dev.tropism.engine.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;

/**
 * Host (CPU) copies of arrays that may live on a GPU, for files: checkpoints, exports, safetensors. Asked for the bytes
 * of a GPU array, DJL copies it to the host by itself, but attaches that copy to the array's own manager, where it
 * stays as long as the array does: for a model's parameters, one more copy of the model per checkpoint until the run
 * ends. The copies made here are freed as soon as they are written. On the CPU nothing is copied.
 */
public final class HostArrays {

    private HostArrays() {
    }

    /** The bytes of {@code a} in native order, in a Java heap buffer. */
    public static ByteBuffer bytes(NDArray a) {
        if (isHost(a)) {
            return a.toByteBuffer();
        }
        try (NDArray host = a.toDevice(Device.cpu(), false)) {
            return host.toByteBuffer(); // toByteBuffer() copies into a byte[]: valid after the copy is closed
        }
    }

    /** {@code a} itself when it is on the CPU; else a host copy owned by {@code host}. */
    public static NDArray onHost(NDArray a, NDManager host) {
        if (isHost(a)) {
            return a;
        }
        NDArray copy = a.toDevice(Device.cpu(), false);
        copy.attach(host);
        return copy;
    }

    private static boolean isHost(NDArray a) {
        return Device.cpu().equals(a.getDevice());
    }
}
