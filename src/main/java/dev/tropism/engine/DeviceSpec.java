package dev.tropism.engine;

import ai.djl.Device;
import ai.djl.engine.StandardCapabilities;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a run's arrays live, as configured: {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}. {@link #of}
 * parses the text; {@link #resolve()} turns it into a DJL {@link Device} when a run opens, against the GPUs this
 * process sees. A named GPU that is not there is an error, never a silent fall back to the CPU.
 *
 * @param kind what was asked for
 * @param index the GPU ordinal of {@link Kind#CUDA} (as CUDA numbers the visible GPUs, after
 *        {@code CUDA_VISIBLE_DEVICES}); -1 for the other kinds. {@code cuda} alone is {@code cuda:0}
 */
public record DeviceSpec(Kind kind, int index) {

    /** GPU 0 when DJL sees a GPU, else the CPU. */
    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, -1);
    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, -1);
    private static final Pattern CUDA_N = Pattern.compile("cuda:(\\d{1,4})");

    /** The three kinds; a resolved device is {@link #CPU} or {@link #CUDA}. */
    public enum Kind {
        AUTO, CPU, CUDA;

        /** {@code auto}, {@code cpu}, {@code cuda}: how configuration and worker labels spell it. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DeviceSpec {
        Objects.requireNonNull(kind, "kind");
        ConfigException.require(kind == Kind.CUDA ? index >= 0 : index == -1, "device",
                kind == Kind.CUDA ? "a GPU index is 0 or more, got " + index : kind.wireName() + " takes no GPU index");
    }

    /** GPU {@code index}. */
    public static DeviceSpec cuda(int index) {
        return new DeviceSpec(Kind.CUDA, index);
    }

    /**
     * Parses {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} (case and surrounding blanks ignored). Named
     * {@code of} so that Spring's binder converts a property's text with it.
     *
     * @throws ConfigException for anything else, with field {@code device}
     */
    public static DeviceSpec of(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        switch (t) {
            case "auto":
                return AUTO;
            case "cpu":
                return CPU;
            case "cuda":
                return cuda(0);
            default:
                break;
        }
        Matcher gpu = CUDA_N.matcher(t);
        if (gpu.matches()) {
            return cuda(Integer.parseInt(gpu.group(1)));
        }
        throw new ConfigException("device", "must be auto, cpu, cuda or cuda:N with N a GPU index (cuda:0, cuda:1, "
                + "...), got '" + text + "'");
    }

    /**
     * The DJL device, from the GPUs DJL sees now ({@code Engine.getGpuCount()}, CUDA's runtime count).
     *
     * @throws ConfigException (field {@code device}) when a named GPU is not visible; the message says how many are,
     *     and, with none, whether the loaded libtorch is a CPU build
     */
    public Device resolve() {
        ai.djl.engine.Engine djl = ai.djl.engine.Engine.getInstance();
        return resolve(djl.getGpuCount(), djl.hasCapability(StandardCapabilities.CUDA));
    }

    /**
     * {@link #resolve()} for a process that sees {@code visibleGpus} GPUs.
     *
     * @param cudaBuild whether the loaded libtorch was built with CUDA (only worded into the error)
     */
    Device resolve(int visibleGpus, boolean cudaBuild) {
        return switch (kind) {
            case CPU -> Device.cpu();
            case AUTO -> visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
            case CUDA -> {
                if (index < visibleGpus) {
                    yield Device.gpu(index);
                }
                String visible = visibleGpus == 0 ? "0 GPUs are visible"
                        : visibleGpus == 1 ? "1 GPU is visible (cuda:0)"
                        : visibleGpus + " GPUs are visible (cuda:0 to cuda:" + (visibleGpus - 1) + ")";
                String what = visibleGpus > 0 ? "name one of them, or use auto"
                        : cudaBuild ? "libtorch has CUDA, so check the driver, CUDA_VISIBLE_DEVICES, and that libcudart "
                                + "is on the library path (DJL counts GPUs through it); or use cpu or auto"
                        : "the loaded libtorch is a CPU build: point PYTORCH_LIBRARY_PATH at a CUDA 12.8 libtorch 2.7.1 "
                                + "with PYTORCH_VERSION=2.7.1 and PYTORCH_FLAVOR=cu128; or use cpu or auto";
                throw new ConfigException("device", this + " needs GPU " + index + ", but " + visible + "; " + what);
            }
        };
    }

    /** {@code auto}, {@code cpu} or {@code cuda:N}: the text {@link #of} reads back. */
    @Override
    public String toString() {
        return kind == Kind.CUDA ? "cuda:" + index : kind.wireName();
    }

    /** How Tropism names a resolved DJL device: {@code cpu} or {@code cuda:N}. */
    public static String name(Device device) {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : Kind.CPU.wireName();
    }
}
