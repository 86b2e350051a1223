package dev.tropism;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * The top-level packages under {@code dev.tropism} are Spring Modulith application modules: no cycles, and a module
 * uses only the published API (its top-level package) of another. Writes the module diagrams into
 * {@code docs/architecture/} (PlantUML, C4).
 *
 * <p>{@code engine} is left out of the module model on purpose: it is a plain library on DJL, not a Spring module,
 * and every service module may use its public types. {@code EngineHasNoSpringTest} verifies that it depends on
 * neither Spring nor any other Tropism package.
 */
class ModulesTest {

    static final ApplicationModules MODULES = ApplicationModules.of(TropismApplication.class,
            JavaClass.Predicates.resideInAPackage("dev.tropism.engine.."));

    @Test
    void modulesHaveNoCyclesAndUseOnlyEachOthersPublishedApi() {
        assertThat(MODULES.stream().map(m -> m.getName())).contains("jobs", "models", "datasets", "rewards", "serving", "storage");
        MODULES.verify();
    }

    @Test
    void writesTheModuleDocumentation() throws Exception {
        Path out = Path.of("docs", "architecture");
        new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(out.toString()))
                .writeModulesAsPlantUml()
                .writeIndividualModulesAsPlantUml()
                .writeModuleCanvases();
        assertThat(out.resolve("components.puml")).isRegularFile();
    }
}
