"""Labelled customer messages for the secret shield: (text, kinds it contains); innocents have none.

Every secret here is generated from fixed bytes with the same libraries a wallet uses (BIP-39
phrases with valid checksums, base58check WIF/xprv, Luhn-valid card numbers); nothing is real.
Public addresses and TXIDs are the kind customers paste to support every day and must pass.
"""
import hashlib

import base58
from mnemonic import Mnemonic

SEED, PK, API, OTP, PW, CARD = "seed_phrase", "private_key", "api_key", "otp_code", "password", "card_number"


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _luhn_card(prefix: str, length: int) -> str:
    body = (prefix + "".join(str(b % 10) for b in _h(prefix + str(length))))[: length - 1]
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _grouped(number: str, sep: str = " ", size: int = 4) -> str:
    return sep.join(number[i:i + size] for i in range(0, len(number), size))


_EN, _ZS, _ZT = Mnemonic("english"), Mnemonic("chinese_simplified"), Mnemonic("chinese_traditional")
SEED12 = _EN.to_mnemonic(_h("seed12")[:16])
SEED15 = _EN.to_mnemonic(_h("seed15")[:20])
SEED18 = _EN.to_mnemonic(_h("seed18")[:24])
SEED24 = _EN.to_mnemonic(_h("seed24"))
SEED12B = _EN.to_mnemonic(_h("seed12b")[:16])
ZH12 = _ZS.to_mnemonic(_h("zh12")[:16])
ZH24 = _ZS.to_mnemonic(_h("zh24"))
ZH12B = _ZS.to_mnemonic(_h("zh12b")[:16])
ZT12 = _ZT.to_mnemonic(_h("zt12")[:16])
_BAD = SEED12.split()
BROKEN12 = " ".join(_BAD[:11] + [_BAD[0] if _BAD[11] != _BAD[0] else _BAD[1]])  # checksum most likely wrong
NUMBERED = "\n".join(f"{i}. {w}" for i, w in enumerate(SEED12B.split(), 1))
NUMBERED_PAREN = " ".join(f"{i}) {w}" for i, w in enumerate(SEED15.split(), 1))

HEXKEY = _h("hexkey").hex()
HEXKEY2 = _h("hexkey2").hex()
WIF = base58.b58encode_check(b"\x80" + _h("wif")).decode()
WIFC = base58.b58encode_check(b"\x80" + _h("wifc") + b"\x01").decode()
XPRV = base58.b58encode_check(bytes.fromhex("0488ade4") + bytes(9) + _h("chain") + b"\x00" + _h("xkey")).decode()
ZPRV = base58.b58encode_check(bytes.fromhex("04b2430c") + bytes(9) + _h("chain2") + b"\x00" + _h("zkey")).decode()
SOLKEY = base58.b58encode(_h("sol1") + _h("sol2")).decode()
PEM = (
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYv0b5nSt4jJ6j4k5c0bA1bH2rX9w0e8yJt3f0d9o1aoAoGCCqGSM49\n"
    "AwEHoUQDQgAEp2o1k8fS0q3nQpQ0n3M2u6m1hV0c3s6o9X1l2r7n0A1yqk0b5n0d\n-----END EC PRIVATE KEY-----"
)
PEM_OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBVvd5uR8kF1iBqfW0m7c0r8yE3G2c2n4nq9PqRk0kR3wAAAJgAAAAA\n-----END OPENSSH PRIVATE KEY-----"
)
KEYSTORE = ('{"version":3,"id":"1b2c","address":"5b38da6a701c568545dcfcb03fcb875f56beddc4","crypto":{"ciphertext":"'
            + _h("ks").hex() + '","cipher":"aes-128-ctr","kdf":"scrypt"}}')

APIKEY = base58.b58encode(_h("api1")).decode()[:43] + "Qx7"
APISECRET = _h("api2").hex().upper()[:32] + "Ab9z"
APIKEY2 = base58.b58encode(_h("api3")).decode()
OKX_KEY = "3c8e5d12-7a4b-4f2e-9b1d-6e0f2a9c4d71"
OKX_SECRET = _h("okx").hex().upper()[:32]

TXID = _h("tx1").hex()
TXID2 = _h("tx2").hex()
TXID3 = _h("tx3").hex()
ETH_ADDR = "0x" + _h("eth").hex()[:40]
ETH_ADDR2 = "0x" + _h("eth2").hex()[:40]
BTC_LEGACY = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
BTC_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SOL = base58.b58encode(_h("soladdr")).decode()
SOL_SIG = base58.b58encode(_h("solsig1") + _h("solsig2")).decode()
XRP = "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh"
XPUB = base58.b58encode_check(bytes.fromhex("0488b21e") + bytes(9) + _h("chain") + b"\x02" + _h("pub")[:32]).decode()

VISA = "4111111111111111"
VISA2 = _luhn_card("4539", 16)
MC = _luhn_card("5425", 16)
MC2 = _luhn_card("2223", 16)
AMEX = _luhn_card("3782", 15)
UNIONPAY = _luhn_card("6222", 19)
UNIONPAY16 = _luhn_card("6217", 16)
JCB = _luhn_card("3530", 16)
DISCOVER = _luhn_card("6011", 16)
NOT_LUHN = VISA2[:-1] + str((int(VISA2[-1]) + 1) % 10)


def _c(text: str, *kinds: str) -> tuple[str, frozenset[str]]:
    return text, frozenset(kinds)


SECRET_EN = [
    _c(f"Hi, here is my seed phrase so you can check my wallet: {SEED12}"),
    _c(f"{SEED12}", ),
    _c(f"my recovery phrase is {SEED24}. please recover my funds asap"),
    _c(f"Wallet words:\n{NUMBERED}\nThanks"),
    _c(f"I wrote them down like this {NUMBERED_PAREN} is that right?"),
    _c(f"Hello support,\n\nThe app asked me to verify my wallet so I typed {SEED18.upper()} into the form, "
       "was that ok?"),
    _c(f"mnemonic: {', '.join(SEED15.split())}"),
    _c(f"seed = {BROKEN12}  (I think one word may be wrong)"),
    _c(f"hey i cant login to my wallet, the 12 words are {SEED12B} what do I do"),
    _c(f"{SEED24}\n\nsorry if this is the wrong place, my friend said support needs this to unlock the account"),
    _c(f"Secret Recovery Phrase from MetaMask: {SEED12.title()}"),
    _c(f"Can you restore this wallet? words: {SEED12B.replace(' ', ',')}"),
    _c(f"i got a call from 'support' and they asked for the seed, i gave them {SEED15} — was it you???"),
    _c(f"My private key is {HEXKEY}"),
    _c(f"private key: 0x{HEXKEY2}\nplease import it and send my USDT back"),
    _c(f"Here is the privkey {WIF} for the old paper wallet"),
    _c(f"WIF {WIFC}"),
    _c(f"xprv for my ledger backup: {XPRV}"),
    _c(f"I exported {ZPRV} from Electrum, is this what you need?"),
    _c(f"The bot support asked me for this file:\n{PEM}\nis it safe?"),
    _c(f"{PEM_OPENSSH}"),
    _c(f"Keystore json: {KEYSTORE}"),
    _c(f"phantom private key {SOLKEY} please help me move the tokens"),
    _c(f"the secret for my hot wallet is {HEXKEY}, the address is {ETH_ADDR}"),
    _c(f"API Key: {APIKEY}\nSecret Key: {APISECRET}\nthe bot stopped trading"),
    _c(f"my api key is {APIKEY2} and it says invalid signature"),
    _c(f"apiKey={APIKEY}&secretKey={APISECRET}"),
    _c(f"Here are my API credentials. key: {OKX_KEY} secret: {OKX_SECRET} passphrase: Trad3Bot!2024"),
    _c(f"I created an API key ({APIKEY2}) yesterday but the IP whitelist does not save"),
    _c(f"api secret -> {APISECRET}"),
    _c(f"{{\"apiKey\": \"{APIKEY}\", \"secret\": \"{APISECRET}\"}}"),
    _c("my 2FA code is 483920"),
    _c("The verification code you sent: 771204 but it says expired"),
    _c("sms code 093817"),
    _c("Google Authenticator shows 552 901 right now, can you log me in?"),
    _c("OTP: 66120943"),
    _c("code is 4821, please confirm my withdrawal"),
    _c("The email code was 330912 and the SMS code was 118273"),
    _c("hi i cant withdraw\nauthenticator code 908172\nwhat is wrong"),
    _c("383920 is my 2fa code, please hurry"),
    _c("Your agent asked for the one-time password, here: 12345678"),
    _c("security code 604433. my login keeps failing"),
    _c("password: hunter2"),
    _c("my password is Summer2024! and it still won't let me in"),
    _c("login: mark.t@example.com pwd=Qwerty!88"),
    _c("The trading password is Tr@de1234"),
    _c("pass: letmein99 (i know it is weak)"),
    _c("new password: 'Blue-Horse-7' doesn't work after reset"),
    _c("Username alex_w\nPassword - s3cr3tpa$$\nPlease check"),
    _c("I changed it yesterday, my password is now Winter#2025, still locked"),
    _c("my PIN is 4932"),
    _c(f"My card number is {_grouped(VISA)} exp 09/28"),
    _c(f"card {MC} was charged twice for the same P2P order"),
    _c(f"I paid with {AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}, where is my BTC?"),
    _c(f"Use this card instead: {_grouped(VISA2, '-')}"),
    _c(f"{_grouped(JCB)}"),
    _c(f"Deposit by card failed. Card: {DISCOVER}, amount 500 USD, 2026-11-03"),
    _c(f"I used my Mastercard {_grouped(MC2)} to buy USDT and got nothing"),
    _c(f"my seed phrase is {SEED12} and my password is Bitcoin2021!", SEED, PW),
    _c(f"Account: john.d@example.com\npassword: Jd#2024pass\n2FA code: 441902\nplease just log in for me", PW, OTP),
    _c(f"API key {APIKEY2}, and the verification code is 550213", API, OTP),
    _c(f"I sent {SEED24} to the telegram admin and now my wallet is empty. Also here is my card {VISA} for refund",
       SEED, CARD),
    _c(f"priv key {HEXKEY} and wallet password: Ab123456!!", PK, PW),
    _c(f"hello?? i need help fast.. my verfication code is 209384 and i tryed it 3 times, it says wrong", OTP),
    _c(f"plz help!!! seed is {SEED12B} i think someone stole from me, tx {TXID}", SEED),
    _c(f"Sent to {ETH_ADDR} (TXID {TXID2}). My private key, in case you need it: {HEXKEY2}", PK),
]
# Label the single-kind rows by what their literal secret is.
_SINGLE_EN = [SEED] * 13 + [PK] * 11 + [API] * 7 + [OTP] * 11 + [PW] * 9 + [CARD] * 7

SECRET_ZH = [
    _c(f"你好，我的助记词是：{ZH12}，帮我看看钱包"),
    _c(f"助记词 {ZH24}"),
    _c(f"客服您好，这是我的钱包助记词\n{ZH12B}\n请帮我找回资产"),
    _c(f"助记词：{ZH12.replace(' ', '、')}"),
    _c(f"助记词：{ZH12B.replace(' ', '')}"),
    _c(f"我的助记词是{ZH12.replace(' ', '')}，请尽快处理"),
    _c(f"繁体的助記詞：{ZT12}"),
    _c(f"1.{ZH12B.split()[0]} " + " ".join(f"{i}.{w}" for i, w in enumerate(ZH12B.split()[1:], 2)) + " 这是我抄的"),
    _c(f"英文助记词：{SEED12}，之前在别的钱包创建的"),
    _c(f"我按照电报群里“客服”的要求发了助记词 {SEED18}，现在币没了怎么办"),
    _c(f"{ZH24.replace(' ', '，')}"),
    _c(f"私钥：{HEXKEY}"),
    _c(f"我的私钥是0x{HEXKEY2}，请帮我导入"),
    _c(f"钱包私钥 {WIF} 麻烦看一下"),
    _c(f"这是导出的扩展私钥 {XPRV}"),
    _c(f"客服让我发的密钥文件：\n{PEM}"),
    _c(f"keystore文件内容：{KEYSTORE}，密码我忘了"),
    _c(f"私钥 {SOLKEY}"),
    _c(f"我导出的私钥{WIFC}对吗"),
    _c(f"API Key：{APIKEY}\nSecret Key：{APISECRET}\n量化机器人报错"),
    _c(f"我的API密钥是{APIKEY2}，为什么提示无效"),
    _c(f"apikey：{OKX_KEY}，secretkey：{OKX_SECRET}，passphrase：Qz8!trade"),
    _c(f"API 密钥 {APISECRET} 已经泄露了吗"),
    _c(f"接口密钥 secret={APISECRET}"),
    _c("验证码 483920"),
    _c("验证码是：483920"),
    _c("短信验证码 662915，麻烦帮我登录一下"),
    _c("我的谷歌验证码是 120398，一直提示错误"),
    _c("动态码：55209317"),
    _c("刚才收到的验证码483921，现在过期了吗"),
    _c("谷歌验证 804512"),
    _c("短信码 7201"),
    _c("邮箱验证码：931002，手机验证码：110283"),
    _c("客服您好，我提币的时候需要验证码，验证码是 660712，但是一直转圈"),
    _c("483922是验证码"),
    _c("登录密码：abc12345"),
    _c("密码是Qq123456"),
    _c("资金密码 Zj@2023888"),
    _c("我的交易密码为 889900ab，能不能帮我重置"),
    _c("账号 13800001234 密码 wang1988!"),
    _c("密码：Hello_World_2024"),
    _c("登陆密码是 zhangsan123 ，谢谢"),
    _c("原密码Aa112233，新密码Bb445566，改不了", PW),
    _c(f"我的银行卡号是 {_grouped(UNIONPAY)}，提现到这张卡"),
    _c(f"卡号：{UNIONPAY16}"),
    _c(f"信用卡 {_grouped(VISA2)} 被扣款两次"),
    _c(f"用{_grouped(MC)}这张卡买币失败了"),
    _c(f"我的卡{JCB}，有效期 12/27，CVV不发了"),
    _c(f"银联卡 {_grouped(UNIONPAY16, '-')} 充值没到账"),
    _c(f"助记词是{ZH12.replace(' ', ' ')}，登录密码是 Abc123456", SEED, PW),
    _c(f"私钥 {HEXKEY}，验证码 302918", PK, OTP),
    _c(f"卡号 {_grouped(VISA)}，短信验证码 554433，请帮我付款", CARD, OTP),
    _c(f"API Key {APIKEY}，资金密码 Zx9988776", API, PW),
    _c(f"客服你好\n我在假网站输入了助记词：{ZH12B}\n还输入了谷歌验证码 780321\n请冻结账户", SEED, OTP),
    _c(f"你好，我忘了提币地址，钱包助记词是{SEED12B} 能帮我查吗", SEED),
    _c(f"我的私钥，怕你们需要：{HEXKEY}，交易哈希 {TXID}", PK),
]
_SINGLE_ZH = [SEED] * 11 + [PK] * 8 + [API] * 5 + [OTP] * 11 + [PW] * 8 + [CARD] * 6

INNOCENT_EN = [
    _c(f"TXID: {TXID}"),
    _c(f"tx hash 0x{TXID2}, still not credited after 3 hours"),
    _c(f"I withdrew 1,250.50 USDT to {ETH_ADDR}, transaction {TXID3}"),
    _c(f"{TXID}"),
    _c(f"Deposit address {BTC_BECH32}, txid {TXID2}, amount 0.0213 BTC"),
    _c(f"Please whitelist these addresses: {BTC_LEGACY}, {BTC_P2SH}, {TRON}"),
    _c(f"Sent SOL to {SOL}, signature {SOL_SIG}"),
    _c(f"My XRP address is {XRP} and the destination tag is 104392"),
    _c(f"Here is my xpub for the watch-only wallet: {XPUB}"),
    _c("Order 2026112934567812 is stuck in pending"),
    _c("UID 38192057, please check my deposit"),
    _c("withdrawal ID 123456 has been processing for 2 days"),
    _c("My account number is 5102938471"),
    _c("Error code 1002 when I try to withdraw"),
    _c("I keep getting code 403 on the API"),
    _c("HTTP status code 500 from /api/v5/trade/order"),
    _c("The app shows error code 401002, what does it mean?"),
    _c("I forgot my password"),
    _c("reset password link does not work"),
    _c("Password reset does not work on iOS"),
    _c("How do I change my password?"),
    _c("my password is incorrect apparently, even though I typed it carefully"),
    _c("I didn't get the SMS code, can you resend it?"),
    _c("The 2FA code is not accepted, is the server time wrong?"),
    _c("How do I back up my seed phrase?"),
    _c("Is it safe to store my recovery phrase in a password manager?"),
    _c("Support will never ask for your seed phrase, right? someone on telegram did"),
    _c("I am able to access my account again, thank you for your help"),
    _c("Steps: 1. open the app 2. tap assets 3. choose withdraw 4. enter amount 5. confirm"),
    _c("1. Login\n2. Go to Wallet\n3. Click Deposit\n4. Select USDT\n5. Copy address"),
    _c("I bought 0.5 BTC at 43,120.55 on 2026-11-28 14:32:10 UTC and sold at 44,010.00"),
    _c("Call me on +86 139 1234 5678 or +44 20 7946 0958 after 6pm"),
    _c("My email is lin.wei@example.com and the phone is 13912345678"),
    _c("See https://www.example.com/support/article/360012345678 for the screenshot"),
    _c("Referral code 483920 was not applied to my account"),
    _c("My anti-phishing code is 7731, and the email I got did not show it"),
    _c("The promo code SPRING2026 says invalid"),
    _c("Card ending 1111 was charged 99.00 USD"),
    _c("My card 4111 **** **** 1111 was declined"),
    _c("IBAN DE89 3704 0044 0532 0130 00, SWIFT COBADEFFXXX, the wire is missing"),
    _c("I sent 12 transfers of 1000 USDT each, 12000 in total"),
    _c("The time was 12:45:30 and the amount was 2,500.00"),
    _c("Please verify my identity with account 88123476 and my registered phone"),
    _c("Ticket #48213 is still open, please reply"),
    _c("my withdrawal of 3,000 USDT (fee 1 USDT) to my TRON address is pending since 2026-11-27"),
    _c(f"Contract address {ETH_ADDR2}, chain BSC, memo 10234987"),
    _c("Can you explain what a private key is and how it differs from a seed phrase?"),
    _c("The security code on the back of my card is not something I should share, correct?"),
    _c("what does API key permission 'enable withdrawals' mean?"),
    _c("I lost access to Google Authenticator, how do I reset 2FA?"),
    _c("the code expired in 60 seconds, can you make it longer"),
    _c("I received the code 3 times but none worked"),
    _c("my key question is about the fee"),
    _c("ok thanks. able about above, I agree that the fee is fair and I will wait for the review"),
    _c("Order numbers: 1029384756, 1029384757, 1029384758"),
    _c("P2P order 4111222233334444 was cancelled by the seller"),
    _c("What is the minimum deposit? 10 USDT or 20 USDT?"),
    _c("Password requirements: at least 8 characters, one digit"),
    _c("I set a strong password and enabled 2FA, what else can I do to secure the account?"),
    _c("Block height 871234, timestamp 1732838400"),
    _c("Version 5.12.3 of the app on Android 14, build 20261128"),
]

INNOCENT_ZH = [
    _c("你好，我昨天充值的USDT还没有到账，请帮忙查一下"),
    _c(f"交易哈希：{TXID}"),
    _c(f"提现到 {TRON}，交易ID {TXID2}，一直显示处理中"),
    _c(f"充值地址 {ETH_ADDR}，金额 1,250.50 USDT，哈希 0x{TXID3}"),
    _c("订单号 2026112934567812 一直未完成"),
    _c("我的UID是38192057，麻烦帮我看看账户是不是被冻结了"),
    _c("提现单号 123456 已经两天了"),
    _c("错误码 1002，提币失败"),
    _c("页面提示错误代码 50013，是什么意思"),
    _c("我忘记密码了，怎么找回"),
    _c("重置密码的链接打不开"),
    _c("修改密码以后是不是要等24小时才能提现"),
    _c("怎么备份助记词？"),
    _c("助记词丢了还能找回钱包吗？"),
    _c("你们客服会不会问我要助记词和私钥？有人在电报上冒充客服"),
    _c("收不到短信验证码，手机号是13800138000"),
    _c("谷歌验证器换手机了，怎么重新绑定"),
    _c("邀请码 483920 没有生效"),
    _c("我的防钓鱼码是 7731，但是邮件里没有显示"),
    _c("请问今天的提现手续费是多少，我要提一千个USDT到我的钱包地址"),
    _c("我在二零二六年十一月二十八日下午三点左右提交了提现申请，到现在还没有处理，请帮我加快一下进度，谢谢"),
    _c("你们的服务太慢了，我等了很久都没有人回复我，我要投诉"),
    _c("我想知道为什么我的账户不能交易了，是不是因为实名认证还没有通过"),
    _c("我的钱包里有一些币，想转到交易所里卖掉，应该怎么操作比较好"),
    _c("请问合约交易的资金费率是怎么计算的？每八个小时收一次吗？"),
    _c("客服你好，我是新用户，不知道怎么充值，能不能教我一下"),
    _c("我的手机号换了，原来的手机号已经停用了，怎么修改绑定的手机号"),
    _c("我在十一月二十九日买了零点五个比特币，价格是四万三千一百二十美元"),
    _c("为什么我的提现被拒绝了？我已经完成了所有的身份认证"),
    _c("我想注销账户，请问需要提供什么资料"),
    _c("转账的时候地址填错了，钱还能找回来吗？我很着急，请尽快回复"),
    _c("这个币什么时候上线？我看公告说是下周，具体是哪一天"),
    _c("我的钱包助记词应该怎么保存比较安全？写在纸上可以吗"),
    _c("私钥和助记词有什么区别？"),
    _c("一 二 三"),
    _c("步骤：1.打开应用 2.点击资产 3.选择提现 4.输入金额 5.确认"),
    _c("我的邮箱是 wangfang@example.com，电话 +86 139 1234 5678"),
    _c("银行卡尾号 1234 的卡被扣了两次款"),
    _c("卡号 6222 **** **** 1234 付款失败"),
    _c("金额：￥12,800.00，时间：2026-11-28 14:32:10"),
    _c(f"我的比特币地址 {BTC_BECH32}，另一个是 {BTC_LEGACY}"),
    _c(f"这是我的索拉纳地址 {SOL}"),
    _c("我的账号是 5102938471，请用绑定的手机号核实身份"),
    _c("请问 API 密钥的权限怎么设置？我只想开交易不开提现"),
    _c("API Key 创建后在哪里查看？"),
    _c("验证码一直收不到，等了十分钟了"),
    _c("验证码过期时间是多久？60秒太短了"),
    _c("为什么要绑定谷歌验证？不绑定可以提现吗"),
    _c("资金密码忘记了怎么办"),
    _c("登录密码输错五次被锁了，什么时候能解锁"),
    _c("密码修改成功了，谢谢"),
    _c("我设置了新的交易密码，但是提现的时候还是提示密码错误"),
    _c("第一，充值没到账；第二，提现很慢；第三，客服回复不及时"),
    _c("我的工单编号是 48213，请跟进"),
    _c("P2P 订单 4111222233334444 卖家取消了"),
    _c("区块高度 871234，确认数 12，还没到账"),
    _c("你好，请问一下，我的资产为什么少了，我没有做任何交易，是不是被盗了"),
    _c("我已经把身份证正反面和手持照片都上传了，请尽快审核"),
    _c("请问现在提现到银行卡需要多长时间到账，我用的是工商银行"),
    _c("那个人说他是你们的客服，让我把钱转到他的地址，我没有转，想确认一下他是不是真的客服"),
    _c("你们公司的官方电报群是哪个？我看到好几个"),
    _c("我的助记词没有泄露，但是钱包里的币不见了，请帮我查一下是怎么回事"),
]


# Written after the detector, without tuning it to them: a check on over-fitting to the rows above.
HELD_OUT = [
    _c("Hi team, I was told to verify my wallet. Recovery words: " + SEED12B.replace(" ", "  ")
       + " . Did I do something wrong?", SEED),
    _c("my seed: " + " ".join(SEED12.split()[:8]) + " ... I don't remember the rest", SEED),
    _c("OTP 5521 09", OTP),
    _c("Here is the 6 digit code: 114477", OTP),
    _c("the code from google authenticator = 907113", OTP),
    _c("Password:Tiger$2020", PW),
    _c("pw: doggo1234", PW),
    _c("Card no. " + _grouped(VISA2) + " CVV 123", CARD),
    _c("my secret key is " + APISECRET, API),
    _c("Please help, API_SECRET=" + APISECRET, API),
    _c("谷歌验证码：456 789", OTP),
    _c("我的验证码 556677 你看下", OTP),
    _c("资金密码是 qwe123456", PW),
    _c("支付密码：147258", PW),
    _c("银行卡 " + UNIONPAY, CARD),
    _c("助记词如下：\n" + "\n".join(ZH12.split()), SEED),
    _c("私钥:" + HEXKEY2 + " 我被骗了", PK),
    _c("I sent 0.25 ETH from " + ETH_ADDR + " to " + ETH_ADDR2 + " on 2026-11-20, hash " + TXID3),
    _c("I have 12 words written down, should I keep them offline? The phrase is safe in my drawer."),
    _c("My old passport expired, can I use my driving licence for KYC?"),
    _c("The pin on the map shows your office in Singapore, is that right?"),
    _c("Access denied: code 10003 returned by the withdrawal endpoint"),
    _c("I called +1 415 555 0132 twice and nobody answered"),
    _c("Transaction 5d41402abc4b2a76b9719d911017c592 is a duplicate?"),
    _c("Please refund 4,999.99 USDT to my account 1234567890123"),
    _c("The verification code email never arrives, I checked spam"),
    _c("Your API documentation says the key must be 64 characters, mine is shorter"),
    _c("My secret plan is to hold until 2030"),
    _c("My wallet seed is stored in a safe, I just need help with a stuck deposit of 1500 USDT"),
    _c("我的钱包地址是 " + TRON + "，请帮我确认是否到账"),
    _c("验证码发了三次都没收到，手机号 13912345678"),
    _c("我想修改登录密码，但是收不到邮件"),
    _c("订单 6222021234567890123 退款了吗"),
    _c("我把助记词抄在本子上了，这样安全吗"),
    _c("请问充值一千元人民币需要多久到账？我已经付款了，付款时间是下午两点"),
    _c("提现地址：" + BTC_BECH32 + "，数量 0.5 BTC，交易哈希 " + TXID),
    _c("我的身份证号是 110101199003074514，实名认证一直失败"),
    _c("客服说的邀请码是 AB12CD34，填了没反应"),
    _c("一、充值问题 二、提现问题 三、账户问题"),
    _c("上个月在你们平台买了比特币，现在想全部卖出，请问手续费是多少"),
    _c("mnemonic phrase for my trust wallet -> " + SEED15 + " <- pls dont share", SEED),
    _c("Backup phrase (24):\n" + "\n".join(" ".join(SEED24.split()[i:i + 6]) for i in range(0, 24, 6)), SEED),
    _c("Login via SMS: 3391 and my password: Kx!9vv2Lq", OTP, PW),
    _c("API key: " + APIKEY + "\nAPI secret: " + APISECRET + "\nIP restriction is off", API),
    _c("Pay with card " + _grouped(MC2, "-") + " please, exp 03/29", CARD),
    _c("我的提币验证码 220719，还有谷歌验证码 038142，你帮我提一下", OTP),
    _c("这是我钱包的私钥 " + WIF + " 和助记词 " + ZH12B, PK, SEED),
    _c("交易密码：Ty778899；银行卡 " + _grouped(UNIONPAY16) + "；验证码 661203", PW, CARD, OTP),
    _c("帮我登录一下，账号 zhang.wei@example.com 登录密码 zw19880808", PW),
    _c("secret recovery phrase is: " + SEED18 + "\nthanks in advance", SEED),
]


def _label(rows, singles):
    labelled = []
    for i, (text, kinds) in enumerate(rows):
        labelled.append((text, kinds if kinds else frozenset([singles[i]]) if i < len(singles) else kinds))
    return labelled


CASES: list[tuple[str, frozenset[str]]] = (
    _label(SECRET_EN, _SINGLE_EN) + _label(SECRET_ZH, _SINGLE_ZH) + INNOCENT_EN + INNOCENT_ZH + HELD_OUT
)
