package dev.tropism.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A run's arrays live on its device ({@link RunOptions#device()}) only if every base manager names one: a base manager
 * without a device lands on DJL's default, the CPU here but GPU 0 on a CUDA machine, which no CPU-only test would see.
 * Serving ({@code engine.serve}) keeps DJL's default on purpose.
 */
class EngineNamesItsDeviceTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tropism");
    }

    private static ArchRule namesItsDevice(String pkg) {
        return noClasses().that().resideInAPackage(pkg + "..").and().resideOutsideOfPackage("dev.tropism.engine.serve..")
                .should().callMethod(NDManager.class, "newBaseManager")
                .because("NDManager.newBaseManager(device) puts arrays on the run's device; without one they go to "
                        + "DJL's default device");
    }

    @Test
    void everyBaseManagerOfTheEngineNamesItsDevice() {
        namesItsDevice("dev.tropism.engine").check(classes);
    }

    @Test
    void theRuleCatchesABaseManagerWithoutADevice() {
        // The service's model cache loads served models on DJL's default device: the same rule must fail there.
        assertThrows(AssertionError.class, () -> namesItsDevice("dev.tropism.models").check(classes));
    }
}
