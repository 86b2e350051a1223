package dev.tropism.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/**
 * Where a run's arrays are. On a GPU machine the devices themselves tell a stray CPU array apart; on the CPU, where
 * DJL's default device is the CPU too, what tells is the owner: an array made outside the run's manager tree (a base
 * manager created without the run's device) is not among the run's arrays, and a parameter of it is not owned by them.
 */
public final class ArraysOnDevice {

    private ArraysOnDevice() {
    }

    /**
     * Every array alive under {@code root} at this moment (parameters, optimizer state, and whatever the step holds
     * when this is called) is on {@code device}, and so is the manager that owns it, where an op's result lands.
     *
     * @return how many arrays were checked
     */
    public static int assertEveryArrayOn(Device device, NDManager root, String when) {
        assertThat(root.getDevice()).as(when + ": the run's root manager").isEqualTo(device);
        List<NDArray> arrays = root.getManagedArrays();
        assertThat(arrays).as(when + ": the run's arrays").isNotEmpty();
        for (NDArray a : arrays) {
            assertThat(a.getDevice()).as(when + ": array " + describe(a)).isEqualTo(device);
            assertThat(a.getManager().getDevice()).as(when + ": the manager of " + describe(a)).isEqualTo(device);
        }
        return arrays.size();
    }

    /** Each of {@code params} is on {@code device} and owned by a manager under {@code root}. */
    public static void assertOwnedOn(Device device, NDManager root, Map<String, NDArray> params, String what) {
        assertThat(params).as(what).isNotEmpty();
        params.forEach((name, a) -> {
            assertThat(a.getDevice()).as(what + " " + name).isEqualTo(device);
            assertThat(descends(a.getManager(), root)).as(what + " " + name + " is owned by the run's manager tree")
                    .isTrue();
        });
    }

    private static boolean descends(NDManager m, NDManager root) {
        for (NDManager p = m; p != null; p = p.getParentManager()) {
            if (p == root) {
                return true;
            }
        }
        return false;
    }

    private static String describe(NDArray a) {
        return (a.getName() == null ? "" : a.getName() + " ") + a.getShape() + " " + a.getDataType();
    }
}
