"""Realistic Brazilian buyer data for marketplace orders (admin defaults and the demo)."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from typing import Any

FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
    "Thiago",
]
LAST_NAMES = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Araújo",
    "Melo",
]
ADDRESSES = [
    ("Rua Augusta", "Consolação", "São Paulo", "SP", "São Paulo", "01305-000"),
    ("Avenida Boa Viagem", "Boa Viagem", "Recife", "PE", "Pernambuco", "51011-000"),
    ("Rua das Laranjeiras", "Laranjeiras", "Rio de Janeiro", "RJ", "Rio de Janeiro", "22240-003"),
    ("Avenida Afonso Pena", "Centro", "Belo Horizonte", "MG", "Minas Gerais", "30130-001"),
    ("Rua XV de Novembro", "Centro", "Curitiba", "PR", "Paraná", "80020-310"),
    ("Avenida Sete de Setembro", "Vitória", "Salvador", "BA", "Bahia", "40080-001"),
    ("Rua dos Andradas", "Centro Histórico", "Porto Alegre", "RS", "Rio Grande do Sul", "90020-007"),
]


def cpf(rng: random.Random) -> str:
    """A CPF with valid check digits (11 digits, not all equal)."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        if len(set(digits)) > 1:
            break
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11
        digits.append(0 if check == 10 else check)
    return "".join(map(str, digits))


def is_valid_cpf(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11
        if (0 if check == 10 else check) != digits[size]:
            return False
    return True


def _ascii(text: str) -> str:
    """'Natália' -> 'natalia' for e-mail local parts."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def buyer(rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    doc = cpf(rng)
    ddd = rng.choice(["11", "21", "31", "41", "71", "81"])
    return {
        "name": f"{first} {last}",
        "email": f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 999)}@example.com",
        "document": doc,
        "documentType": "CPF",
        "documentNumberNormalized": doc,
        "phone": f"{ddd}3{rng.randint(1000000, 9999999)}",
        "cellPhone": f"{ddd}9{rng.randint(10000000, 99999999)}",
    }


def shipping_address(rng: random.Random, receiver: str) -> dict[str, Any]:
    street, district, city, uf, state_name, zip_code = rng.choice(ADDRESSES)
    number = str(rng.randint(1, 3000))
    return {
        "address": f"{street}, {number} - {district}",
        "street": street,
        "number": number,
        "comment": rng.choice(["", "Apto 12", "Casa 2", "Bloco B"]),
        "neighborhood": district,
        "city": city,
        "state": uf,
        "stateNameNormalized": state_name,
        "country": "BR",
        "countryNameNormalized": "Brasil",
        "zipCode": zip_code,
        "reference": "",
        "receiverName": receiver,
    }


# -- the commercial side of a marketplace sale -------------------------------------------------------

#: The intermediary of a sale on each marketplace (NF-e ``infIntermed``): CNPJ and name, as AnyMarket
#: sends it in ``documentIntermediator``. The seller's own store (ECOMMERCE, VTEX) has none.
INTERMEDIARIES: dict[str, tuple[str, str]] = {
    "MERCADO_LIVRE": ("03007331000141", "Ebazar.com.br Ltda (Mercado Livre)"),
    "AMAZON": ("15436940000103", "Amazon Serviços de Varejo do Brasil Ltda"),
    "SHOPEE": ("35635824000112", "Shps Tecnologia e Serviços Ltda (Shopee)"),
    "MAGAZINE_LUIZA": ("47960950000121", "Magazine Luiza S/A"),
    "NETSHOES": ("09339936000116", "NS2.com Internet S/A (Netshoes)"),
    "B2W_NEW_API": ("00776574000156", "Americanas S/A"),
}
#: Share of the items' value each marketplace keeps as its commission (``payments[].marketplaceFee``).
MARKETPLACE_FEE_RATES: dict[str, float] = {
    "MERCADO_LIVRE": 0.14,
    "AMAZON": 0.13,
    "SHOPEE": 0.14,
    "MAGAZINE_LUIZA": 0.16,
    "NETSHOES": 0.15,
    "B2W_NEW_API": 0.16,
}
#: Share of a card payment the payment gateway keeps (``payments[].gatewayFee``): Mercado Pago on
#: Mercado Livre, the store's own gateway on e-commerce platforms; marketplaces that settle the payment
#: themselves charge it inside their commission.
GATEWAY_FEE_RATES: dict[str, float] = {"MERCADO_LIVRE": 0.0299, "ECOMMERCE": 0.0399, "VTEX": 0.0349}
PAYMENT_METHODS: dict[str, str] = {
    "CREDIT_CARD": "Cartão de crédito",
    "DEBIT_CARD": "Cartão de débito",
    "PIX": "Pix",
    "BOLETO": "Boleto bancário",
}
COMPANY_NAMES = [
    "Comercial Andrade Ltda",
    "Papelaria Nova Era ME",
    "Distribuidora Boa Vista Ltda",
    "Mercadinho São Jorge EPP",
    "Oficina Irmãos Prado Ltda",
]


def seller_id(marketplace: str, account_name: str) -> str:
    """The seller's id on the marketplace (AnyMarket ``intermediateRegistrationId``): stable per
    marketplace and account, in each marketplace's usual form."""
    digest = hashlib.sha256(f"{marketplace}:{account_name}".encode()).hexdigest()
    if marketplace == "AMAZON":
        return "A" + "".join(c for c in digest.upper() if c.isalnum())[:13]
    if marketplace == "MAGAZINE_LUIZA":
        return _ascii(account_name).replace(" ", "") or "loja"
    return str(int(digest[:12], 16) % 900_000_000 + 100_000_000)


def cnpj(rng: random.Random) -> str:
    """A CNPJ (head office, 0001) with valid check digits."""
    digits = [int(c) for c in f"{rng.randint(10_000_000, 99_999_999)}0001"]
    for size in (12, 13):
        weights = list(range(size - 7, 1, -1)) + list(range(9, 1, -1))
        check = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if check >= 10 else check)
    return "".join(map(str, digits))


def company_buyer(rng: random.Random) -> dict[str, Any]:
    """A company buying with its CNPJ and state tax id (an ICMS contributor)."""
    document = cnpj(rng)
    name = rng.choice(COMPANY_NAMES)
    ddd = rng.choice(["11", "21", "31", "41", "71", "81"])
    return {
        "name": name.upper() if rng.random() < 0.5 else name,
        "email": f"compras{rng.randint(1, 999)}@{_ascii(name.split()[1])}.example.com",
        "document": document,
        "documentType": "CNPJ",
        "documentNumberNormalized": document,
        "companyStateTaxId": str(rng.randint(10**11, 10**12 - 1)),
        "phone": f"{ddd}3{rng.randint(1000000, 9999999)}",
        "cellPhone": f"{ddd}9{rng.randint(10000000, 99999999)}",
    }


def payment(
    marketplace: str,
    *,
    method: str,
    installments: int,
    items_value: float,
    total: float,
    status: str,
    payment_id: str,
) -> dict[str, Any]:
    """One ``payments[]`` entry as AnyMarket sends it, with the fees the marketplace and the gateway
    keep (commission on the items, gateway fee on card payments)."""
    gateway = GATEWAY_FEE_RATES.get(marketplace, 0.0) if method in ("CREDIT_CARD", "DEBIT_CARD") else 0.0
    return {
        "method": PAYMENT_METHODS.get(method, method),
        "paymentMethodNormalized": method,
        "paymentDetailNormalized": "UNKNOWN",
        "status": status,
        "value": total,
        "installments": installments,
        "marketplaceId": payment_id,
        "marketplaceFee": round(items_value * MARKETPLACE_FEE_RATES.get(marketplace, 0.0), 2),
        "gatewayFee": round(total * gateway, 2),
    }
