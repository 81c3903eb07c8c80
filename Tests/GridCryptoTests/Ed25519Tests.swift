import GridCrypto
import Testing

/// RFC 8032 section 7.1, tests 1-3: secret key (seed), public key, message, signature.
private let rfc8032Vectors: [(seed: String, publicKey: String, message: String, signature: String)] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
    ),
]

@Suite struct Ed25519Tests {
    @Test(arguments: 0..<rfc8032Vectors.count)
    func rfc8032KnownAnswers(index: Int) throws {
        let vector = rfc8032Vectors[index]
        let keyPair = try KeyPair(seed: try #require([UInt8](hex: vector.seed)))
        let message = try #require([UInt8](hex: vector.message))
        #expect(keyPair.publicKey.hex == vector.publicKey)
        let signature = keyPair.sign(message)
        #expect(signature.bytes.hexString == vector.signature)
        #expect(keyPair.publicKey.verify(signature, for: message))
    }

    @Test func tamperedMessageSignatureOrKeyIsRejected() throws {
        let keyPair = KeyPair()
        let message = Array("set reactive power 0.12 pu".utf8)
        let signature = keyPair.sign(message)
        #expect(keyPair.publicKey.verify(signature, for: message))

        var changedMessage = message
        changedMessage[3] ^= 0x01
        #expect(!keyPair.publicKey.verify(signature, for: changedMessage))

        var changedSignature = signature.bytes
        changedSignature[10] ^= 0x80
        #expect(!keyPair.publicKey.verify(try Signature(bytes: changedSignature), for: message))

        #expect(!KeyPair().publicKey.verify(signature, for: message))

        var changedKey = keyPair.publicKey.bytes
        changedKey[0] ^= 0x01
        #expect(!(try PublicKey(bytes: changedKey)).verify(signature, for: message))
    }

    @Test func seedDerivationIsDeterministicAndLabelled() {
        let first = KeyPair.derived(masterSeed: 42, label: "validator/r0/1")
        let again = KeyPair.derived(masterSeed: 42, label: "validator/r0/1")
        let otherLabel = KeyPair.derived(masterSeed: 42, label: "validator/r0/2")
        let otherSeed = KeyPair.derived(masterSeed: 43, label: "validator/r0/1")
        #expect(first.publicKey == again.publicKey)
        #expect(first.publicKey != otherLabel.publicKey)
        #expect(first.publicKey != otherSeed.publicKey)
    }

    @Test func wrongLengthsAreTypedErrors() {
        #expect(throws: CryptoError.invalidLength(what: "Ed25519 seed", expectedBytes: 32, actualBytes: 31)) {
            try KeyPair(seed: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.self) { try PublicKey(bytes: []) }
        #expect(throws: CryptoError.self) { try Signature(bytes: [UInt8](repeating: 0, count: 65)) }
    }

    @Test func secretKeyNeverAppearsInDescriptions() throws {
        let seedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
        let keyPair = try KeyPair(seed: try #require([UInt8](hex: seedHex)))
        var dumped = ""
        dump(keyPair, to: &dumped)
        for text in [String(describing: keyPair), String(reflecting: keyPair), dumped, "\(keyPair)"] {
            #expect(!text.contains(seedHex))
            #expect(!text.contains(String(seedHex.prefix(16))))
            #expect(text.contains(keyPair.publicKey.hex))
        }
    }

    @Test func batchVerificationFlagsExactlyTheBadSignatures() {
        let keys = (0..<8).map { KeyPair.derived(masterSeed: 7, label: "device/\($0)") }
        var items: [SignedMessage] = []
        for index in 0..<200 {
            let key = keys[index % keys.count]
            let message = Array("reading \(index)".utf8)
            items.append(SignedMessage(publicKey: key.publicKey, message: message, signature: key.sign(message)))
        }
        let badIndices: Set<Int> = [0, 17, 99, 199]
        for index in badIndices {
            let item = items[index]
            items[index] = SignedMessage(
                publicKey: item.publicKey, message: item.message + [0], signature: item.signature)
        }
        let results = BatchVerifier.verify(items, threads: 4)
        #expect(results.count == items.count)
        for (index, ok) in results.enumerated() { #expect(ok == !badIndices.contains(index)) }
        #expect(BatchVerifier.verify(items, threads: 1) == results)
    }
}
