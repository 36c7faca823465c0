package org.homeserver.auth;

/** Who may register users (auth.registration): anyone, holders of an invite token, or nobody. */
public enum RegistrationMode { OPEN, INVITE, CLOSED }
