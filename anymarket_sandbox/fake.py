"""Realistic Brazilian buyer data for marketplace orders (admin defaults and the demo)."""

from __future__ import annotations

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
