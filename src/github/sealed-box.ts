// A repository secret as GitHub's REST API takes it: the value encrypted to the repository's public key with
// libsodium's sealed box (crypto_box_seal: X25519, XSalsa20-Poly1305, an ephemeral sender key), base64 both ways,
// as GitHub's "Encrypting secrets for the REST API" shows with libsodium-wrappers. Only GitHub, which holds the
// private key, can open it.
import sodium from 'libsodium-wrappers';

/** `value` sealed to `publicKey` (GitHub's base64 `key` of …/actions/secrets/public-key), as base64. */
export async function sealForGitHub(publicKey: string, value: string): Promise<string> {
  await sodium.ready;
  let key: Uint8Array;
  try {
    key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
  } catch {
    throw new Error('GitHub returned a repository public key that is not base64');
  }
  if (key.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new Error(`GitHub returned a repository public key of ${key.length} bytes, not ${sodium.crypto_box_PUBLICKEYBYTES}`);
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL);
}
