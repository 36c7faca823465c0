package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.CreateChallengeResponse;
import org.homeserver.api.auth.v1.CreateSessionRequest;
import org.homeserver.api.auth.v1.RegisterClientRequest;
import org.homeserver.api.auth.v1.RegisterClientResponse;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.SignContent;
import org.homeserver.mls.TestKeyPackages.SigningKey;

/**
 * Brings the run's clients into being as client software does (auth.proto): registers users, then
 * each client with an Ed25519 key and its proof of possession, then opens a session for it with the
 * signed challenge. Users have {@link #CLIENTS_PER_USER} clients each unless told otherwise, the most
 * the homeserver allows by default, so 10,000 clients need 313 users.
 */
public final class Registrations {
  public static final int CLIENTS_PER_USER = 32;
  private static final String PASSWORD = "load generator password";
  private static final long DEADLINE_SECONDS = 60;

  private final Connections connections;
  private final int parallelism;
  private final String domain;

  public Registrations(Connections connections, int parallelism) {
    this(connections, parallelism, ServerProcess.DOMAIN);
  }

  /** Registrations at the homeserver of {@code domain}, which {@code connections} lead to. */
  Registrations(Connections connections, int parallelism, String domain) {
    this.connections = connections;
    this.parallelism = parallelism;
    this.domain = domain;
  }

  /** {@code count} registered clients with open sessions; client {@code i} belongs to user {@code i / 32}. */
  List<SimulatedClient> register(int count) throws InterruptedException {
    return register(count, CLIENTS_PER_USER, "load-user", 0);
  }

  /**
   * {@code count} registered clients of users {@code <prefix>-00000} on, {@code clientsPerUser} to
   * a user; their indexes (which pick their connections) start at {@code firstIndex}.
   */
  public List<SimulatedClient> register(int count, int clientsPerUser, String prefix, int firstIndex)
      throws InterruptedException {
    int users = (count + clientsPerUser - 1) / clientsPerUser;
    Concurrently.map(IntStream.range(0, users).boxed().toList(), parallelism, user ->
        auth(firstIndex + user).registerUser(RegisterUserRequest.newBuilder()
            .setHandle(handle(prefix, user)).setPassword(PASSWORD).build()));
    return Concurrently.map(IntStream.range(0, count).boxed().toList(), parallelism, i ->
        client(firstIndex + i, handle(prefix, i / clientsPerUser)));
  }

  private SimulatedClient client(int index, String handle) {
    SigningKey key = SigningKey.generate(SimulatedClient.SUITE.signatureScheme());
    String userId = "mimi://" + domain + "/u/" + handle;
    RegisterClientResponse registered = auth(index).registerClient(RegisterClientRequest.newBuilder()
        .setHandle(handle)
        .setPassword(PASSWORD)
        .setSignatureScheme(SignatureScheme.ED25519)
        .setSignaturePublicKey(ByteString.copyFrom(key.publicKey()))
        .setProofOfPossession(ByteString.copyFrom(key.signWithLabel(SignContent.REGISTRATION_LABEL,
            SignContent.registration(userId, key.publicKey()))))
        .setIdempotencyKey(UUID.randomUUID().toString())
        .build());
    String clientId = registered.getClientId();
    List<byte[]> chain = registered.getCertificateChainList().stream().map(ByteString::toByteArray).toList();
    return new SimulatedClient(index, userId, clientId, key, chain, session(index, clientId, key),
        connections.forClient(index));
  }

  private String session(int index, String clientId, SigningKey key) {
    CreateChallengeResponse challenge = auth(index).createChallenge(
        CreateChallengeRequest.newBuilder().setClientId(clientId).build());
    byte[] signature = key.signWithLabel(SignContent.SESSION_LABEL,
        SignContent.session(clientId, challenge.getNonce().toByteArray()));
    return auth(index).createSession(CreateSessionRequest.newBuilder()
        .setClientId(clientId)
        .setChallengeId(challenge.getChallengeId())
        .setSignature(ByteString.copyFrom(signature))
        .build()).getAccessToken();
  }

  private AuthServiceGrpc.AuthServiceBlockingStub auth(int index) {
    return AuthServiceGrpc.newBlockingStub(connections.forClient(index))
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private static String handle(String prefix, int user) {
    return String.format("%s-%05d", prefix, user);
  }
}
