package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.DeviceSpec;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** {@code tropism.engine.device} binds from its text, defaults to auto, and stops startup on a value it cannot read. */
class EnginePropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(EngineProperties.class)
    static class Properties {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Properties.class);

    @Test
    void deviceDefaultsToAuto() {
        runner.run(context -> assertThat(context.getBean(EngineProperties.class).device()).isEqualTo(DeviceSpec.AUTO));
    }

    @Test
    void deviceBindsEveryForm() {
        runner.withPropertyValues("tropism.engine.device=cuda:1").run(context ->
                assertThat(context.getBean(EngineProperties.class).device()).isEqualTo(DeviceSpec.cuda(1)));
        runner.withPropertyValues("tropism.engine.device=cuda").run(context ->
                assertThat(context.getBean(EngineProperties.class).device()).isEqualTo(DeviceSpec.cuda(0)));
        runner.withPropertyValues("tropism.engine.device=cpu").run(context ->
                assertThat(context.getBean(EngineProperties.class).device()).isEqualTo(DeviceSpec.CPU));
    }

    @Test
    void anUnreadableDeviceStopsStartupNamingTheProperty() {
        runner.withPropertyValues("tropism.engine.device=gpu0").run(context -> assertThat(context).hasFailed()
                .getFailure().cause().hasMessage("Failed to bind properties under 'tropism.engine.device' to "
                        + "dev.tropism.engine.DeviceSpec").rootCause()
                .hasMessage("device: must be auto, cpu, cuda or cuda:N with N a GPU index (cuda:0, cuda:1, ...), "
                        + "got 'gpu0'"));
    }
}
