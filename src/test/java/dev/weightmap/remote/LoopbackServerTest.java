// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;

/** A test class whose every test gets a fresh {@link RangeServer} on the loopback interface. */
abstract class LoopbackServerTest {
    /** The server of the running test. */
    RangeServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = RangeServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }
}
