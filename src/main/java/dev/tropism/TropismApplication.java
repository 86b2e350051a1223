package dev.tropism;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Tropism: alignment as a service. Entry point of the web service. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class TropismApplication {

    public static void main(String[] args) {
        SpringApplication.run(TropismApplication.class, args);
    }
}
