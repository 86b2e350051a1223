package dev.tropism.demo;

import dev.tropism.teams.TeamService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.stereotype.Component;

/**
 * The README's first command: drives the service through its own public REST API, exactly as a user
 * would, from a fresh team to an aligned model: generate the arithmetic corpus and prompt sets,
 * pretrain a tiny base model, define an exact-match reward, run GRPO with held-out evaluation, and
 * print progress and the before/after accuracy. Nothing here is special-cased in the service.
 */
@Component
@ConditionalOnProperty(name = "tropism.demo.enabled", havingValue = "true")
class DemoRunner implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(DemoRunner.class);

    private final TeamService teams;
    private final DemoProperties props;
    private final ConfigurableApplicationContext context;

    DemoRunner(TeamService teams, DemoProperties props, ConfigurableApplicationContext context) {
        this.teams = teams;
        this.props = props;
        this.context = context;
    }

    @Override
    public void run(ApplicationArguments args) {
        Thread t = new Thread(this::runDemo, "tropism-demo");
        t.setDaemon(false);
        t.start();
    }

    private void runDemo() {
        int exit = 0;
        try {
            demo();
        } catch (Exception e) {
            log.error("Demo failed: {}", e.getMessage(), e);
            exit = 1;
        }
        if (props.exitWhenDone()) {
            int code = exit;
            System.exit(SpringApplication.exit(context, () -> code));
        }
    }

    private void demo() throws InterruptedException, java.io.IOException {
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        // A fresh team and key, as an admin would create them with POST /v1/teams and /api-keys.
        TeamService.TeamView team = teams.create("demo-" + System.currentTimeMillis() / 1000);
        TeamService.NewKey key = teams.createKey(team.id(), "demo");
        say("team " + team.id() + ", API key " + key.key());
        String baseUrl = "http://localhost:" + port;
        if (props.scenario().equals("byo-model")) {
            new ByoModelScenario(baseUrl, key.key(), props, DemoRunner::say).run();
        } else {
            new DemoScenario(baseUrl, key.key(), props, DemoRunner::say).run();
        }
    }

    private static void say(String line) {
        System.out.println("tropism-demo | " + line);
    }
}
