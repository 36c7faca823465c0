-- Whether a client's newest Listen stream is live, on any process: its process extends live_until
-- while the stream is open and clears it when the stream ends. A process that dies leaves it to
-- lapse. The notifier pushes nothing while it is live (unless the policy asks to).
alter table listen_generations add column live_until timestamptz;
