// Tokens for the authlane/verify scenario (scenarios.mjs): signed once by jose 6 with keys made for
// this file (the private keys were thrown away; only the public JWKs and the HS256 secret are kept).
// Claims: sub user-1, name 'Zoë 日本', iss https://id.example, aud app, exp 2100-01-01.
export const fixtures = {
  hs256: {
    key: "hermes-verify-fixture-secret-0123456789",
    token: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJuYW1lIjoiWm_DqyDml6XmnKwiLCJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUiLCJhdWQiOiJhcHAiLCJleHAiOjQxMDI0NDQ4MDB9.Vs8JqpPXwg9b4XyjqjcA55N1XGGX2izJZiynUs4ZoOk"
  },
  rs256: {
    key: {
      kty: "RSA",
      n: "oq9ptcC9K9m0p4vxVTZqiZiMgKrEp6wsDwT2MONZ1RCtfBT8Tr0hi2phpXVLPrr4aDbQ07c_4Y2bBIjUGCCS4j9SDibhR92-EAmWRC_No0IIT-Vvg1wXd1oU9gDvK2gKbs1ARaXgw433lI3azXeKw-kT3YfAqioViJpvtH_kgKA_max_sdlLMgi9IyG50kY0khqvj6GoN5ZMBqTARNqp4O56nJoPEnwVWELhjSBV6fljmAK8jnD_J2nuCXL1Fx6yu5ktuTfeGg8xDSuVt8KO581uFgyvQWcNW2fvDeQ2HknOzHwrokY2ib7OMwC-u6sb0vSGwqesbdLurVslfcTJPQ",
      e: "AQAB",
      kid: "rs256-1",
      alg: "RS256",
      use: "sig"
    },
    token: "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzMjU2LTEifQ.eyJzdWIiOiJ1c2VyLTEiLCJuYW1lIjoiWm_DqyDml6XmnKwiLCJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUiLCJhdWQiOiJhcHAiLCJleHAiOjQxMDI0NDQ4MDB9.QLoC47aSFgAxJCi__g_kMn-Ooi7l2pv4x7Bw3famaQLrXnnjFj_F2AIVlL2Bq-zFrWDFmbCO03MYzFG85HLPhpGS5BQsv0xOGaZci-NIhZbOq7ruSojVN9jOQMiOon5DNK7Lzh8M7W92pLPEeP-PY4KD5OIuoFI2WcXlxy0fbF6lpyPMlZbOVfSRuxX5NexuiRtFYARzK7BJ1FPZa4skOLJ-2RFQQ-6nH-mvSB50tr2NtYX21rp5v36oQHD2N-Ry3r7-cr8ma00IBiiJVVdda06fK6KL04NaXGvjdK74HzrVhDJkdNAMweanOpryE2FRujY734xoEYY6mnrKNTxdyA"
  },
  es256: {
    key: {
      kty: "EC",
      x: "NYeeSrlGf0tVPRJQBrVeilYmqDsDOd6K2WYY6E51OJY",
      y: "G6NOWIkkrC3xuuS91rlWTymDhljzTph3N6Y-wOx3Csg",
      crv: "P-256",
      kid: "es256-1",
      alg: "ES256",
      use: "sig"
    },
    token: "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVzMjU2LTEifQ.eyJzdWIiOiJ1c2VyLTEiLCJuYW1lIjoiWm_DqyDml6XmnKwiLCJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUiLCJhdWQiOiJhcHAiLCJleHAiOjQxMDI0NDQ4MDB9.0-q4FeqCgYHZqU7PbNS3TF6R5pGl4_r3Z7ptVIUjRAismkQJt-6NHmEhZ1kOFXUjlG9cbcx0kTJczPV9m3YjLA"
  }
}
;
