"""A realistic, deterministic demo ERP: catalog, stock, prices, customers and order history.

It fills the reference schema (``include/sql/erp/schema/``) so the integration, its tests and anyone
evaluating the project have a Brazilian seller's ERP to work against: parent products with child
variations (Cor x Tamanho, Voltagem, Capacidade…), simple products, images, technical-sheet attributes
(model, gender, warranty time and text among them), a 2-3 level category tree, brands, NCM codes and
fiscal origin, EAN-13s with valid check digits, made-to-order SKUs with crossdocking days, three
deposits with balances per SKU x deposit (zeros and low balances included, for safety-stock cases),
reservations held by open sales orders, a price list, carriers, payment methods, sales channels, sales
operations (naturezas de operação), and a short order history with NF-e invoices and shipments, each
order with its payment (installments, marketplace and gateway fees) and, for marketplace sales, its
intermediary.

The same ``seed`` always produces the same rows (ids included) on every dialect. Seeding is a one-off
tool, so it writes with SQLAlchemy Core directly rather than through the integration's named queries.
It *skips* (writes nothing) when the ERP already holds products or deposits: demo rows are never mixed
into real data, and running the seeder twice is harmless.

Dev-only, like the rest of ``anymarket_sandbox``: the product (``plugins/anymarket``) never imports it;
it uses the product's :class:`~anymarket.erp.database.ErpDatabase` for the schema. The sandbox server
does not import it either.

CLI (the project root and ``plugins`` on ``PYTHONPATH``)::

    python -m anymarket_sandbox.demo_erp --url sqlite:////tmp/erp.db [--products 300] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from anymarket.erp.database import ErpDatabase
from anymarket.vocabulary import BRAZIL
from anymarket_sandbox import fake

__all__ = [
    "DEMO_DEPOSITS",
    "TABLES",
    "demo_sku_codes",
    "ean13_check_digit",
    "is_valid_cnpj",
    "is_valid_cpf",
    "is_valid_ean13",
    "main",
    "nfe_access_key_check_digit",
    "seed_demo_erp",
]

log = logging.getLogger(__name__)

#: Every table of the reference schema, in foreign-key (insert) order.
TABLES: tuple[str, ...] = (
    "brands",
    "categories",
    "deposits",
    "carriers",
    "payment_methods",
    "sales_channels",
    "sales_operations",
    "products",
    "skus",
    "sku_variations",
    "kit_components",
    "product_images",
    "product_attributes",
    "price_lists",
    "price_list_items",
    "customers",
    "sales_orders",
    "sales_order_items",
    "sales_order_payments",
    "stock_balances",
    "stock_reservations",
    "invoices",
    "shipments",
)

# Fixed, so the order history is the same for a seed whatever day the seeder runs.
ORDER_HISTORY_START = datetime(2026, 1, 5, 9, 0, tzinfo=BRAZIL)
IMAGE_BASE_URL = "https://img.example.com/anymarket-demo"
SELLER_CNPJ = "12345678000195"  # the demo seller (NF-e issuer); valid check digits
SELLER_NAME = "Loja Demonstração Comércio Ltda"

# (code, name, is_default, zip code) — names match the demo AnyMarket warehouses by design, so the
# deposit installer links them automatically.
DEMO_DEPOSITS: tuple[tuple[str, str, bool, str], ...] = (
    ("CD-SP", "CD São Paulo", True, "07034000"),
    ("CD-REC", "CD Recife", False, "50030230"),
    ("LJ-CWB", "Loja Curitiba", False, "80010010"),
)
# Mercado Livre's Full warehouses as a deposit of their own (named as the demo's virtual AnyMarket
# warehouse): fulfillment_stock imports what sits there (demo_mappings.yaml maps it as Full); no
# stock rule sends it back. No balance is seeded: the import writes them.
FULL_DEPOSIT = ("FULL-ML", "Full Mercado Livre", False, "07750000")

# (code, name, CNPJ, tracking URL template with {tracking_code})
CARRIERS: tuple[tuple[str, str, str, str], ...] = (
    ("CORREIOS", "Correios", "34028316000103", "https://rastreio.example.com/correios/{tracking_code}"),
    ("JADLOG", "Jadlog", "04884082000135", "https://rastreio.example.com/jadlog/{tracking_code}"),
    (
        "MERCADO_ENVIOS",
        "Mercado Envios",
        "03007331000141",
        "https://rastreio.example.com/meli/{tracking_code}",
    ),
    (
        "TOTAL_EXPRESS",
        "Total Express",
        "73939449000193",
        "https://rastreio.example.com/total/{tracking_code}",
    ),
)

PAYMENT_METHODS: tuple[tuple[str, str], ...] = (
    ("CARTAO_CREDITO", "Cartão de Crédito"),
    ("CARTAO_DEBITO", "Cartão de Débito"),
    ("BOLETO", "Boleto Bancário"),
    ("PIX", "Pix"),
    ("CARTEIRA_DIGITAL", "Carteira Digital (Mercado Pago)"),
    ("DEPOSITO", "Depósito Bancário"),
)

# (code, name, AnyMarket marketPlace enum or None, relative order volume)
SALES_CHANNELS: tuple[tuple[str, str, str | None, int], ...] = (
    ("MERCADO_LIVRE", "Mercado Livre", "MERCADO_LIVRE", 40),
    ("AMAZON", "Amazon", "AMAZON", 15),
    ("SHOPEE", "Shopee", "SHOPEE", 15),
    ("MAGALU", "Magazine Luiza", "MAGAZINE_LUIZA", 12),
    ("NETSHOES", "Netshoes", "NETSHOES", 6),
    ("SITE", "Loja Virtual", "ECOMMERCE", 8),
    ("BALCAO", "Loja Física (balcão)", None, 4),
)

# Naturezas de operação: (code, name, for ICMS contributors). The demo integration's settings name the
# first two (orders.default_sales_operation, orders.contributor_sales_operation).
SALES_OPERATIONS: tuple[tuple[str, str, bool], ...] = (
    ("VENDA_CONSUMIDOR", "Venda de mercadoria a consumidor final", False),
    ("VENDA_CONTRIBUINTE", "Venda de mercadoria a contribuinte do ICMS", True),
    ("VENDA_BALCAO", "Venda presencial (NFC-e)", False),
)

BRANDS: tuple[str, ...] = (
    "Aurora Têxtil",
    "Vento Sul",
    "Passo Firme",
    "Cozinha Viva",
    "Brisa Lar",
    "Ipê Casa",
    "Madeira Nobre",
    "Ritmo Fit",
    "Pedal Brasil",
    "Conecta Tech",
    "Memória Plus",
    "Pipoca Brinquedos",
    "Arco-Íris Kids",
)

COLOR_CODES: dict[str, str] = {
    "Preto": "PRT", "Branco": "BRC", "Azul": "AZL", "Azul Marinho": "AZM", "Vermelho": "VRM",
    "Verde": "VRD", "Verde Militar": "VML", "Cinza": "CNZ", "Rosa": "RSA", "Amarelo": "AMR",
    "Bege": "BGE", "Marrom": "MRR", "Off White": "OFW", "Freijó": "FRJ", "Grafite": "GRF",
    "Lilás": "LLS", "Caramelo": "CRM", "Vinho": "VNH", "Inox": "INX", "Nude": "NUD",
}  # fmt: skip

APPAREL_COLORS = ("Preto", "Branco", "Azul Marinho", "Vermelho", "Verde Militar", "Cinza", "Rosa", "Vinho")
SHOE_COLORS = ("Preto", "Branco", "Cinza", "Azul", "Caramelo", "Nude")
HOME_COLORS = ("Branco", "Bege", "Cinza", "Azul", "Rosa", "Verde")
FURNITURE_COLORS = ("Freijó", "Off White", "Preto", "Grafite")
TECH_COLORS = ("Preto", "Branco", "Grafite", "Azul", "Rosa")
KITCHEN_COLORS = ("Preto", "Inox", "Vermelho", "Branco")


@dataclass(frozen=True)
class _Family:
    """A kind of product: where it sits in the category tree and how its rows look."""

    category: tuple[str, ...]
    nouns: tuple[str, ...]
    qualifiers: tuple[str, ...]
    brands: tuple[str, ...]
    ncm: str
    price: tuple[float, float]
    dims: tuple[float, float, float]  # height, width, length (cm) of the shipping package
    weight: float  # kg
    variation: str | None = None  # see _variation_sets()
    palette: tuple[str, ...] = ()
    parent_share: float = 0.85
    gender: str | None = None
    warranty_months: int = 3
    made_to_order_share: float = 0.0
    origins: tuple[int, ...] = (0,)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weight_share: int = 10  # relative number of products of this family


FAMILIES: tuple[_Family, ...] = (
    _Family(
        ("Moda", "Masculino", "Camisetas"), ("Camiseta", "Camisa Polo"),
        ("Básica Algodão", "Estampada Verão", "Gola V Premium", "Dry Fit Esportiva", "Listrada Casual"),
        ("Aurora Têxtil", "Vento Sul"), "61091000", (29.9, 119.9), (3, 25, 30), 0.25,
        variation="cor_tamanho", palette=APPAREL_COLORS, gender="Masculino", warranty_months=3,
        extras={"Material": ("100% Algodão", "Poliéster", "Algodão Pima", "Malha PV"),
                "Manga": ("Curta", "Longa")},
        weight_share=14,
    ),
    _Family(
        ("Moda", "Feminino", "Vestidos"), ("Vestido",),
        ("Midi Floral", "Longo Viscose", "Curto Canelado", "Chemise Linho", "Tubinho Crepe"),
        ("Aurora Têxtil", "Vento Sul"), "62044300", (79.9, 259.9), (4, 25, 32), 0.35,
        variation="cor_tamanho", palette=APPAREL_COLORS, gender="Feminino", warranty_months=3,
        extras={"Material": ("Viscose", "Linho", "Crepe", "Algodão"),
                "Comprimento": ("Curto", "Midi", "Longo")},
        weight_share=10,
    ),
    _Family(
        ("Calçados", "Tênis"), ("Tênis",),
        ("Corrida Amortecedor", "Casual Couro", "Skate Lona", "Caminhada Conforto", "Treino Knit"),
        ("Passo Firme", "Ritmo Fit"), "64041100", (149.9, 499.9), (12, 20, 32), 0.9,
        variation="cor_numeracao", palette=SHOE_COLORS, gender="Unissex", warranty_months=3,
        extras={"Material do Cabedal": ("Couro", "Lona", "Tecido Knit", "Sintético"),
                "Tipo de Solado": ("Borracha", "EVA")},
        weight_share=12,
    ),
    _Family(
        ("Calçados", "Sandálias e Chinelos"), ("Sandália", "Chinelo"),
        ("Conforto Anatômica", "Slide Macia", "Rasteira Tiras", "Papete Trilha"),
        ("Passo Firme",), "64029990", (39.9, 149.9), (8, 15, 28), 0.45,
        variation="cor_numeracao", palette=SHOE_COLORS, gender="Feminino", warranty_months=3,
        weight_share=7,
    ),
    _Family(
        ("Eletroportáteis", "Cozinha"),
        ("Liquidificador", "Cafeteira Elétrica", "Air Fryer", "Batedeira Planetária", "Sanduicheira"),
        ("Turbo 1200W", "Inox Digital", "Compacta 4L", "Pro 1500W", "Prática"),
        ("Cozinha Viva",), "85094050", (119.9, 699.9), (35, 30, 30), 4.2,
        variation="voltagem", warranty_months=12, origins=(0, 0, 2),
        extras={"Potência": ("800W", "1000W", "1200W", "1500W"), "Material": ("Plástico", "Inox")},
        weight_share=10,
    ),
    _Family(
        ("Eletroportáteis", "Climatização"),
        ("Ventilador de Mesa", "Ventilador de Coluna", "Aquecedor Halógeno", "Umidificador de Ar"),
        ("40cm Turbo", "Silencioso 6 Pás", "Portátil", "Digital com Controle"),
        ("Brisa Lar",), "84145190", (99.9, 449.9), (60, 45, 25), 5.5,
        variation="voltagem", warranty_months=12,
        extras={"Potência": ("60W", "130W", "150W"), "Velocidades": ("3", "4", "6")},
        weight_share=7,
    ),
    _Family(
        ("Casa", "Cama, Mesa e Banho", "Toalhas"), ("Toalha de Banho", "Jogo de Toalhas", "Toalha de Rosto"),
        ("Fio Penteado 500g", "Felpuda Premium", "Gigante Algodão", "Bordada"),
        ("Ipê Casa", "Brisa Lar"), "63026000", (29.9, 159.9), (8, 30, 35), 0.8,
        variation="cor", palette=HOME_COLORS, warranty_months=3,
        extras={"Material": ("100% Algodão", "Algodão Egípcio"), "Gramatura": ("450 g/m²", "500 g/m²")},
        weight_share=6,
    ),
    _Family(
        ("Casa", "Cama, Mesa e Banho", "Roupa de Cama"), ("Jogo de Lençol", "Edredom", "Colcha"),
        ("180 Fios", "Percal 200 Fios", "Microfibra Toque Macio", "Dupla Face"),
        ("Ipê Casa",), "63022100", (69.9, 349.9), (10, 35, 40), 1.6,
        variation="cor_tamanho_cama", palette=HOME_COLORS, warranty_months=3,
        extras={"Material": ("Algodão", "Microfibra", "Percal")},
        weight_share=6,
    ),
    _Family(
        ("Casa", "Utilidades Domésticas"),
        ("Jogo de Panelas", "Frigideira Antiaderente", "Conjunto de Potes Herméticos", "Garrafa Térmica"),
        ("5 Peças", "Cerâmica 24cm", "Vidro 10 Peças", "Inox 1L"),
        ("Cozinha Viva", "Ipê Casa"), "73239300", (39.9, 399.9), (20, 30, 40), 2.4,
        variation="cor", palette=KITCHEN_COLORS, parent_share=0.4, warranty_months=6,
        extras={"Material": ("Alumínio", "Inox", "Vidro", "Cerâmica")},
        weight_share=7,
    ),
    _Family(
        ("Móveis", "Escritório"), ("Cadeira de Escritório", "Mesa para Computador", "Estante para Livros"),
        ("Ergonômica Giratória", "Diretor Couro Sintético", "Industrial 120cm", "5 Prateleiras"),
        ("Madeira Nobre",), "94013000", (299.9, 1499.9), (60, 60, 70), 14.0,
        variation=None, warranty_months=12, made_to_order_share=0.5,
        extras={"Material": ("MDF", "Aço", "Madeira Maciça"), "Montagem": ("Necessária", "Montado")},
        weight_share=6,
    ),
    _Family(
        ("Móveis", "Sala de Estar"),
        ("Rack para TV", "Painel para TV", "Mesa de Centro", "Poltrona Decorativa"),
        ("até 55 Polegadas", "Retrô Pés Palito", "Suspenso 1,80m", "Veludo"),
        ("Madeira Nobre",), "94036000", (249.9, 1299.9), (50, 45, 140), 22.0,
        variation="cor", palette=FURNITURE_COLORS, parent_share=0.6, warranty_months=6,
        made_to_order_share=0.4,
        extras={"Material": ("MDP", "MDF", "Madeira Maciça"), "Montagem": ("Necessária",)},
        weight_share=6,
    ),
    _Family(
        ("Esporte e Lazer", "Fitness"),
        ("Halter Emborrachado", "Tapete de Yoga", "Corda de Pular", "Kettlebell"),
        ("Profissional", "Antiderrapante", "Com Rolamento", "Ferro Fundido"),
        ("Ritmo Fit",), "95069100", (19.9, 249.9), (10, 15, 30), 2.0,
        variation=None, gender="Unissex", warranty_months=3,
        extras={"Material": ("Borracha", "PVC", "Ferro Fundido", "EVA")},
        weight_share=6,
    ),
    _Family(
        ("Esporte e Lazer", "Ciclismo"),
        ("Capacete para Ciclismo", "Luva de Ciclismo", "Bermuda de Ciclismo"),
        ("MTB com Viseira", "Gel Dedo Curto", "Forro Espuma", "Speed Aerodinâmico"),
        ("Pedal Brasil",), "65061000", (59.9, 349.9), (20, 25, 30), 0.5,
        variation="cor_tamanho", palette=("Preto", "Branco", "Vermelho", "Azul"), gender="Unissex",
        warranty_months=6, origins=(0, 1),
        weight_share=5,
    ),
    _Family(
        ("Informática", "Periféricos"),
        ("Mouse Sem Fio", "Teclado Mecânico", "Headset Gamer", "Webcam Full HD"),
        ("Bluetooth Recarregável", "RGB ABNT2", "USB 7.1 Surround", "1080p com Microfone"),
        ("Conecta Tech",), "84716053", (49.9, 449.9), (8, 15, 20), 0.4,
        variation="cor", palette=TECH_COLORS, parent_share=0.6, warranty_months=12, origins=(1, 2, 2, 0),
        extras={"Conexão": ("USB", "Bluetooth", "Sem Fio 2.4GHz"),
                "Compatibilidade": ("Windows, macOS, Linux",)},
        weight_share=8,
    ),
    _Family(
        ("Informática", "Armazenamento"), ("Pendrive", "SSD", "Cartão de Memória"),
        ("USB 3.2 Metálico", "SATA III 2,5\"", "microSD Classe 10", "NVMe M.2"),
        ("Memória Plus",), "85235110", (29.9, 599.9), (2, 8, 12), 0.05,
        variation="capacidade", warranty_months=24, origins=(1, 2),
        extras={"Interface": ("USB 3.2", "SATA III", "NVMe PCIe 3.0")},
        weight_share=6,
    ),
    _Family(
        ("Brinquedos", "Bonecas e Bonecos"), ("Boneca", "Boneco de Ação", "Bebê Reborn"),
        ("Articulada com Acessórios", "Super-Herói 30cm", "Fala 20 Frases", "Vinil Macio"),
        ("Pipoca Brinquedos", "Arco-Íris Kids"), "95030021", (39.9, 299.9), (30, 12, 20), 0.6,
        variation=None, gender="Infantil", warranty_months=3,
        extras={"Idade Recomendada": ("3+ anos", "4+ anos", "6+ anos"), "Material": ("Vinil", "Plástico")},
        weight_share=6,
    ),
    _Family(
        ("Brinquedos", "Jogos e Quebra-Cabeças"), ("Quebra-Cabeça", "Jogo de Tabuleiro", "Blocos de Montar"),
        ("1000 Peças Paisagem", "Clássico Família", "500 Peças Educativo", "Estratégia"),
        ("Pipoca Brinquedos", "Arco-Íris Kids"), "95049090", (29.9, 229.9), (6, 27, 37), 0.9,
        variation=None, gender="Infantil", warranty_months=3,
        extras={"Idade Recomendada": ("6+ anos", "8+ anos", "12+ anos"),
                "Número de Jogadores": ("1", "2 a 4", "2 a 6")},
        weight_share=5,
    ),
)  # fmt: skip

FIRST_NAMES = (
    "Ana", "João", "Maria", "José", "Francisca", "Antônio", "Juliana", "Carlos", "Fernanda", "Paulo",
    "Letícia", "Lucas", "Camila", "Gabriel", "Beatriz", "Rafael", "Luíza", "Mateus", "Patrícia", "Thiago",
    "Aline", "Rodrigo", "Vitória", "Márcio", "Cecília", "Otávio",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
    "Ribeiro", "Carvalho", "Araújo", "Melo", "Barbosa", "Conceição", "Nascimento", "Monteiro", "Assunção",
    "Brandão",
)  # fmt: skip
COMPANY_NAMES = (
    "Comercial Horizonte Ltda", "Mercadinho São Jorge ME", "Papelaria Estrela Guia Ltda",
    "Academia Corpo & Movimento Ltda", "Pousada Maré Alta Eireli", "Clínica Bem-Estar Ltda",
    "Escritório Contábil Ipiranga S/S", "Restaurante Sabor da Serra Ltda",
)  # fmt: skip
# (city, UF, zip prefix, DDD, neighbourhoods)
CITIES = (
    ("São Paulo", "SP", "04", "11", ("Vila Mariana", "Moema", "Tatuapé", "Pinheiros", "Santana")),
    ("Campinas", "SP", "13", "19", ("Cambuí", "Taquaral", "Barão Geraldo")),
    ("Rio de Janeiro", "RJ", "22", "21", ("Copacabana", "Tijuca", "Botafogo", "Méier")),
    ("Belo Horizonte", "MG", "30", "31", ("Savassi", "Pampulha", "Funcionários")),
    ("Recife", "PE", "50", "81", ("Boa Viagem", "Casa Forte", "Graças")),
    ("Salvador", "BA", "40", "71", ("Barra", "Pituba", "Itapuã")),
    ("Curitiba", "PR", "80", "41", ("Batel", "Água Verde", "Santa Felicidade")),
    ("Porto Alegre", "RS", "90", "51", ("Moinhos de Vento", "Menino Deus", "Petrópolis")),
    ("Fortaleza", "CE", "60", "85", ("Aldeota", "Meireles", "Benfica")),
    ("Goiânia", "GO", "74", "62", ("Setor Bueno", "Setor Marista")),
    ("Florianópolis", "SC", "88", "48", ("Trindade", "Lagoa da Conceição", "Centro")),
    ("Manaus", "AM", "69", "92", ("Adrianópolis", "Ponta Negra")),
)  # fmt: skip
STREETS = (
    "Rua das Flores", "Avenida Brasil", "Rua São João", "Rua XV de Novembro", "Avenida Paulista",
    "Rua da Consolação", "Travessa do Comércio", "Rua Sete de Setembro", "Avenida Getúlio Vargas",
    "Rua Barão do Rio Branco", "Alameda Santos", "Rua Marechal Deodoro",
)  # fmt: skip

# (status, relative frequency) — the reference ERP's own order status vocabulary (see README.md).
ORDER_STATUSES = (
    ("pending", 12), ("approved", 25), ("invoiced", 18), ("shipped", 20), ("delivered", 20), ("cancelled", 5),
)  # fmt: skip


# ---------------------------------------------------------------------------- check digits


def ean13_check_digit(first12: str) -> int:
    """GS1 check digit of the first 12 digits of an EAN-13 (weights 1,3,1,3… from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str | None) -> bool:
    """True for a 13-digit string whose last digit is the GS1 check digit."""
    return bool(code) and len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == int(code[12])


def _mod11_digit(digits: str, weights: Sequence[int]) -> int:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def _cpf_digits(base9: str) -> str:
    d1 = _mod11_digit(base9, range(10, 1, -1))
    d2 = _mod11_digit(base9 + str(d1), range(11, 1, -1))
    return f"{base9}{d1}{d2}"


def _cnpj_digits(base12: str) -> str:
    w1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
    d1 = _mod11_digit(base12, w1)
    d2 = _mod11_digit(base12 + str(d1), (6, *w1))
    return f"{base12}{d1}{d2}"


def is_valid_cpf(document: str) -> bool:
    """True for an 11-digit CPF with correct check digits (repeated-digit CPFs are invalid)."""
    return (
        len(document) == 11
        and document.isdigit()
        and len(set(document)) > 1
        and (_cpf_digits(document[:9]) == document)
    )


def is_valid_cnpj(document: str) -> bool:
    """True for a 14-digit CNPJ with correct check digits."""
    return (
        len(document) == 14
        and document.isdigit()
        and len(set(document)) > 1
        and (_cnpj_digits(document[:12]) == document)
    )


def nfe_access_key_check_digit(first43: str) -> int:
    """Check digit of an NF-e access key: mod 11 with weights 2..9 cycling from the right."""
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(first43)))
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def _correios_tracking_code(rng: random.Random) -> str:
    """A Correios (UPU S10) object code, e.g. ``AB123456785BR``, with its real check digit."""
    number = f"{rng.randint(0, 99_999_999):08d}"
    remainder = sum(int(d) * w for d, w in zip(number, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    check = 5 if remainder == 0 else 0 if remainder == 1 else 11 - remainder
    prefix = rng.choice(("AA", "OB", "QB", "NX", "LB"))
    return f"{prefix}{number}{check}BR"


# ---------------------------------------------------------------------------- small helpers


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _abbrev(value: str) -> str:
    """Short uppercase code of a variation value, used to build child SKU codes."""
    if value in COLOR_CODES:
        return COLOR_CODES[value]
    cleaned = "".join(ch for ch in _ascii(value).upper() if ch.isalnum())
    return cleaned[:3] if cleaned.isalpha() and len(cleaned) > 3 else cleaned


def _price(value: float) -> float:
    """A shelf price ending in ,90 (R$ 129,90), as real catalogs do."""
    return round(max(int(value), 1) + 0.90, 2)


def _contiguous(rng: random.Random, values: Sequence[str], low: int, high: int) -> list[str]:
    size = rng.randint(low, min(high, len(values)))
    start = rng.randint(0, len(values) - size)
    return list(values[start : start + size])


def _variation_sets(rng: random.Random, family: _Family) -> list[list[tuple[str, str]]]:
    """The (type, value) pairs of each child SKU of one parent product, in a stable order."""
    scheme = family.variation
    if scheme == "cor_tamanho":
        colors = rng.sample(family.palette, rng.randint(2, 3))
        sizes = _contiguous(rng, ("PP", "P", "M", "G", "GG", "XG"), 3, 4)
        return [[("Cor", c), ("Tamanho", s)] for c in colors for s in sizes]
    if scheme == "cor_numeracao":
        colors = rng.sample(family.palette, rng.randint(1, 2))
        sizes = _contiguous(rng, [str(n) for n in range(34, 45)], 4, 5)
        return [[("Cor", c), ("Tamanho", s)] for c in colors for s in sizes]
    if scheme == "cor_tamanho_cama":
        colors = rng.sample(family.palette, 2)
        sizes = _contiguous(rng, ("Solteiro", "Casal", "Queen", "King"), 3, 4)
        return [[("Cor", c), ("Tamanho", s)] for c in colors for s in sizes]
    if scheme == "voltagem":
        return [[("Voltagem", "110V")], [("Voltagem", "220V")]]
    if scheme == "cor":
        return [[("Cor", c)] for c in rng.sample(family.palette, rng.randint(2, min(4, len(family.palette))))]
    if scheme == "capacidade":
        return [[("Capacidade", c)] for c in _contiguous(rng, ("32GB", "64GB", "128GB", "256GB"), 2, 3)]
    raise ValueError(f"unknown variation scheme {scheme!r}")


_PRICE_STEP = {"GG": 1.05, "XG": 1.08, "Casal": 1.08, "Queen": 1.15, "King": 1.25, "64GB": 1.5,
               "128GB": 2.2, "256GB": 3.4}  # fmt: skip


# ---------------------------------------------------------------------------- the generator


def demo_kits(products: int) -> int:
    """How many kit products a demo ERP of ``products`` products adds to them: one from 50 products
    (below that none, so the small ERPs of many tests keep exactly their products)."""
    return 1 if products >= 50 else 0


class _DemoBuilder:
    """Builds every demo row in memory, with explicit ids, from one seeded random generator."""

    def __init__(self, products: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_products = products
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
        self._ids: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._ean_counter = 0

    def _add(self, table: str, **row: Any) -> int:
        self._ids[table] += 1
        row = {"id": self._ids[table], **row}
        self.rows[table].append(row)
        return row["id"]

    def build(self) -> dict[str, list[dict[str, Any]]]:
        self._reference_data()
        self._catalog()
        self._prices()
        self._stock()
        self._kits()
        self._kit_prices()
        self._customers()
        self._orders()
        return self.rows

    # -- reference data

    def _reference_data(self) -> None:
        self.brand_ids = {
            name: self._add("brands", code=f"MRC{i:03d}", name=name, active=True)
            for i, name in enumerate(BRANDS, start=1)
        }
        self.category_ids: dict[tuple[str, ...], int] = {}
        for family in FAMILIES:
            for depth in range(1, len(family.category) + 1):
                path = family.category[:depth]
                if path not in self.category_ids:
                    self.category_ids[path] = self._add(
                        "categories",
                        code=f"CAT{len(self.category_ids) + 1:03d}",
                        name=path[-1],
                        parent_id=self.category_ids.get(path[:-1]),
                        active=True,
                    )
        self.deposit_ids = [
            self._add("deposits", code=code, name=name, is_default=default, active=True, zip_code=zip_code)
            for code, name, default, zip_code in DEMO_DEPOSITS
        ]
        code, name, default, zip_code = FULL_DEPOSIT
        self.full_deposit_id = self._add(
            "deposits", code=code, name=name, is_default=default, active=True, zip_code=zip_code
        )
        self.carrier_ids = {
            code: self._add(
                "carriers", code=code, name=name, document=doc, tracking_url_template=url, active=True
            )
            for code, name, doc, url in CARRIERS
        }
        self.payment_ids = {
            code: self._add("payment_methods", code=code, name=name, active=True)
            for code, name in PAYMENT_METHODS
        }
        self.channel_ids = {
            code: self._add("sales_channels", code=code, name=name, marketplace=mkt, active=True)
            for code, name, mkt, _ in SALES_CHANNELS
        }
        self.operation_ids = {
            code: self._add(
                "sales_operations", code=code, name=name, icms_contributor=contributor, active=True
            )
            for code, name, contributor in SALES_OPERATIONS
        }

    # -- catalog

    def _next_ean(self) -> str:
        self._ean_counter += 1
        first12 = f"7898765{self._ean_counter:05d}"  # 789 = GS1 Brasil; 8765 = the demo company prefix
        return f"{first12}{ean13_check_digit(first12)}"

    def _catalog(self) -> None:
        rng = self.rng
        weights = [f.weight_share for f in FAMILIES]
        self.skus: list[dict[str, Any]] = []  # active-or-not SKUs with what stock/orders need
        for number in range(1, self.n_products + 1):
            family = rng.choices(FAMILIES, weights)[0]
            brand = rng.choice(family.brands)
            name = f"{rng.choice(family.nouns)} {rng.choice(family.qualifiers)} {brand}"
            code = f"P{number:05d}"
            jitter = rng.uniform(0.85, 1.15)
            height, width, length = (round(d * jitter, 1) for d in family.dims)
            weight = round(family.weight * rng.uniform(0.85, 1.15), 3)
            made_to_order = rng.random() < family.made_to_order_share
            is_parent = family.variation is not None and rng.random() < family.parent_share
            product_active = rng.random() >= 0.03
            warranty = family.warranty_months
            model = f"{_ascii(brand)[:3].upper()}-{rng.randint(100, 9999)}"
            product_id = self._add(
                "products",
                code=code,
                name=name,
                description=self._description(name, family, warranty, rng),
                brand_id=self.brand_ids[brand],
                category_id=self.category_ids[family.category],
                ncm=family.ncm,
                origin=rng.choice(family.origins),
                video_url=f"https://video.example.com/anymarket-demo/{code.lower()}"
                if rng.random() < 0.1
                else None,
                height_cm=height,
                width_cm=width,
                length_cm=length,
                weight_kg=weight,
                has_variations=is_parent,
                active=product_active,
            )
            self._attributes(product_id, family, model, warranty, rng)

            base_price = rng.uniform(*family.price)
            cost_ratio = rng.uniform(0.42, 0.62)
            list_ratio = rng.uniform(1.1, 1.35)
            crossdocking = rng.randint(10, 30) if made_to_order else rng.choice((0, 0, 0, 0, 1, 2, 3))
            variation_sets = _variation_sets(rng, family) if is_parent else [[]]
            color_image_sku: dict[str, int] = {}
            for pairs in variation_sets:
                factor = 1.0
                for _, value in pairs:
                    factor *= _PRICE_STEP.get(value, 1.0)
                sell = _price(base_price * factor)
                sku_code = code if not pairs else "-".join([code, *(_abbrev(v) for _, v in pairs)])
                sku_name = name if not pairs else f"{name} - {' / '.join(v for _, v in pairs)}"
                sku_active = product_active and rng.random() >= 0.03
                sku_id = self._add(
                    "skus",
                    product_id=product_id,
                    code=sku_code,
                    name=sku_name,
                    ean=None if rng.random() < 0.04 else self._next_ean(),
                    height_cm=height,
                    width_cm=width,
                    length_cm=length,
                    weight_kg=weight,
                    made_to_order=made_to_order,
                    crossdocking_days=crossdocking,
                    cost_price=round(sell * cost_ratio, 2),
                    sell_price=sell,
                    list_price=_price(sell * list_ratio),
                    active=sku_active,
                )
                for position, (vtype, value) in enumerate(pairs, start=1):
                    self._add(
                        "sku_variations",
                        sku_id=sku_id,
                        variation_type=vtype,
                        variation_value=value,
                        position=position,
                    )
                colors = [v for t, v in pairs if t == "Cor"]
                if colors and colors[0] not in color_image_sku:
                    color_image_sku[colors[0]] = sku_id
                self.skus.append(
                    {
                        "id": sku_id,
                        "code": sku_code,
                        "active": sku_active,
                        "made_to_order": made_to_order,
                        "sell_price": sell,
                        "cost_price": round(sell * cost_ratio, 2),
                        "list_price": _price(sell * list_ratio),
                    }
                )
            self._images(product_id, code, color_image_sku, rng)

    def _kits(self) -> None:
        """:func:`demo_kits` kits: two of one simple product and one of another, sold as a product of
        its own. Drawn without the seeded generator, so every other row is the same with or without
        kits."""
        # The simple products with the most stock in the default deposit, so the kit sells in the demo.
        default_deposit = self.deposit_ids[0]
        simple = sorted(
            (
                sku
                for sku in self.skus
                if sku["active"] and not sku["made_to_order"] and "-" not in sku["code"]
            ),
            key=lambda sku: (-self.physical[(sku["id"], default_deposit)], sku["id"]),
        )
        products = {row["code"]: row for row in self.rows["products"]}
        self.kit_skus: list[dict[str, Any]] = []
        for number in range(1, min(demo_kits(self.n_products), len(simple) // 2) + 1):
            first, second = simple[2 * number - 2], simple[2 * number - 1]
            base = products[first["code"]]
            name = f"Kit {products[first['code']]['name']} x2 + {products[second['code']]['name']}"[:150]
            code = f"KIT{number:03d}"
            product_id = self._add(
                "products",
                **{
                    **{k: v for k, v in base.items() if k not in ("id", "code", "name", "description")},
                    "code": code,
                    "name": name,
                    "description": f"{name}.\nKit com 2 unidades de um produto e 1 de outro.",
                    "has_variations": False,
                    "active": True,
                    "video_url": None,
                },
            )
            sell = _price((2 * first["sell_price"] + second["sell_price"]) * 0.95)  # a kit costs less
            kit_id = self._add(
                "skus",
                product_id=product_id,
                code=code,
                name=name,
                ean=self._next_ean(),
                height_cm=base["height_cm"],
                width_cm=base["width_cm"],
                length_cm=base["length_cm"],
                weight_kg=base["weight_kg"],
                made_to_order=False,
                crossdocking_days=0,
                cost_price=round(2 * first["cost_price"] + second["cost_price"], 2),
                sell_price=sell,
                list_price=_price(sell * 1.2),
                active=True,
            )
            self.kit_skus.append({"id": kit_id, "sell_price": sell, "list_price": _price(sell * 1.2)})
            # A technical sheet like every demo product's: the model and warranty AnyMarket fills in.
            for position, (attribute, value) in enumerate(
                (
                    ("Modelo", code),
                    ("Tempo de Garantia", "3"),
                    ("Texto de Garantia", "Garantia de 3 meses contra defeitos de fabricação."),
                    ("Conteúdo", "2 + 1 unidades"),
                ),
                start=1,
            ):
                self._add(
                    "product_attributes",
                    product_id=product_id,
                    name=attribute,
                    value=value,
                    position=position,
                )
            self._add("kit_components", kit_sku_id=kit_id, component_sku_id=first["id"], quantity=2)
            self._add("kit_components", kit_sku_id=kit_id, component_sku_id=second["id"], quantity=1)
            self._add(
                "product_images",
                product_id=product_id,
                sku_id=None,
                position=1,
                url=f"{IMAGE_BASE_URL}/{code.lower()}-1.jpg",
                is_main=True,
            )

    def _kit_prices(self) -> None:
        """The kits in the marketplace price list too (after every other SKU's row: same ids)."""
        price_list_id = self.rows["price_lists"][0]["id"]
        for kit in self.kit_skus:
            self._add(
                "price_list_items",
                price_list_id=price_list_id,
                sku_id=kit["id"],
                sell_price=_price(kit["sell_price"] * 1.12),
                list_price=_price(kit["list_price"] * 1.12),
            )

    @staticmethod
    def _description(name: str, family: _Family, warranty: int, rng: random.Random) -> str:
        # Multi-line on purpose: the "replace line breaks with <br>" setting needs something to replace.
        benefit = rng.choice(
            (
                "Qualidade e durabilidade para o seu dia a dia.",
                "Acabamento caprichado e ótimo custo-benefício.",
                "Produto original com nota fiscal e envio rápido.",
                "Design moderno que combina com você e com a sua casa.",
            )
        )
        lines = [f"{name}.", "", benefit, "", "Características:"]
        lines += [f"- {attr}: {rng.choice(values)}" for attr, values in family.extras.items()]
        lines += [
            f"- Garantia: {warranty} meses contra defeitos de fabricação",
            "",
            f"Categoria: {' > '.join(family.category)}",
        ]
        return "\n".join(lines)

    def _attributes(
        self, product_id: int, family: _Family, model: str, warranty: int, rng: random.Random
    ) -> None:
        # The four well-known names are what the attribute mapping fills AnyMarket's model, gender,
        # warrantyTime and warrantyText from (README.md, "technical sheet").
        attributes: list[tuple[str, str]] = [("Modelo", model)]
        if family.gender:
            attributes.append(("Gênero", family.gender))
        attributes += [
            ("Tempo de Garantia", str(warranty)),
            ("Texto de Garantia", f"Garantia de {warranty} meses contra defeitos de fabricação."),
        ]
        attributes += [(attr, rng.choice(values)) for attr, values in family.extras.items()]
        for position, (name, value) in enumerate(attributes, start=1):
            self._add("product_attributes", product_id=product_id, name=name, value=value, position=position)

    def _images(
        self, product_id: int, code: str, color_image_sku: dict[str, int], rng: random.Random
    ) -> None:
        base = f"{IMAGE_BASE_URL}/{code.lower()}"
        count = rng.randint(2, 5)
        for position in range(1, count + 1):
            # Every 40th product's last photo is a TIFF straight from the studio, a format AnyMarket
            # does not process: check_images shows it in error on the ops page (no rng drawn, so the
            # rest of the catalog is the same as before).
            extension = "tif" if position == count and product_id % 40 == 0 else "jpg"
            self._add(
                "product_images",
                product_id=product_id,
                sku_id=None,
                position=position,
                url=f"{base}/{position}.{extension}",
                is_main=position == 1,
            )
        # One image per colour, attached to the first child of that colour (AnyMarket's image `variation`).
        for offset, (color, sku_id) in enumerate(color_image_sku.items(), start=1):
            slug = _ascii(color).lower().replace(" ", "-")
            self._add(
                "product_images",
                product_id=product_id,
                sku_id=sku_id,
                position=count + offset,
                url=f"{base}/{slug}.jpg",
                is_main=False,
            )

    # -- prices and stock

    def _prices(self) -> None:
        price_list_id = self._add("price_lists", code="MARKETPLACES", name="Tabela Marketplaces", active=True)
        self.marketplace_price: dict[int, float] = {}
        for sku in self.skus:
            # Marketplaces charge commission: the list sells ~12% above the ERP's own shelf price.
            sell = _price(sku["sell_price"] * 1.12)
            self.marketplace_price[sku["id"]] = sell
            self._add(
                "price_list_items",
                price_list_id=price_list_id,
                sku_id=sku["id"],
                sell_price=sell,
                list_price=_price(sku["list_price"] * 1.12),
            )

    def _stock(self) -> None:
        rng = self.rng
        # (share with zero, share with a low 1..low_max balance, low_max, normal range)
        profiles = ((0.08, 0.12, 3, (8, 240)), (0.30, 0.15, 3, (4, 90)), (0.45, 0.20, 2, (3, 20)))
        self.physical: dict[tuple[int, int], int] = {}
        for sku in self.skus:
            for deposit_id, (zero, low, low_max, normal) in zip(self.deposit_ids, profiles, strict=True):
                draw = rng.random()
                if not sku["active"] or (sku["made_to_order"] and draw < 0.7):
                    quantity = 0  # made-to-order items are produced on demand: usually nothing on hand
                elif draw < zero:
                    quantity = 0
                elif draw < zero + low:
                    quantity = rng.randint(1, low_max)  # at or below a typical safety stock
                else:
                    quantity = rng.randint(*normal)
                self.physical[(sku["id"], deposit_id)] = quantity
                self._add("stock_balances", sku_id=sku["id"], deposit_id=deposit_id, quantity=quantity)

    # -- customers and orders

    def _customers(self) -> None:
        rng = self.rng
        used: set[str] = set()
        self.customers: list[dict[str, Any]] = []
        count = max(10, min(40, self.n_products // 10))
        for number in range(1, count + 1):
            company = number % 5 == 0
            while True:
                document = (
                    _cnpj_digits(f"{rng.randint(10_000_000, 99_999_999)}0001")
                    if company
                    else _cpf_digits(f"{rng.randint(100_000_000, 999_999_999)}")
                )
                if document not in used:
                    used.add(document)
                    break
            city, uf, zip_prefix, ddd, neighbourhoods = rng.choice(CITIES)
            if company:
                name = rng.choice(COMPANY_NAMES)
                email = f"compras{number}@{_ascii(name.split()[1]).lower()}.example.com"
            else:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                name = f"{first} {rng.choice(LAST_NAMES)} {last}"
                email = f"{_ascii(first).lower()}.{_ascii(last).lower()}{number}@example.com"
            row = {
                "code": f"C{number:05d}",
                "name": name,
                "document": document,
                "document_type": "CNPJ" if company else "CPF",
                "state_tax_id": f"{rng.randint(10**11, 10**12 - 1)}" if company else None,
                "email": email,
                "phone": f"{ddd}3{rng.randint(1_000_000, 9_999_999)}",
                "cell_phone": f"{ddd}9{rng.randint(10_000_000, 99_999_999)}",
                "birth_date": None
                if company
                else date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                "street": rng.choice(STREETS),
                "number": str(rng.randint(10, 2500)),
                "complement": rng.choice((None, None, "Apto 12", "Casa 2", "Bloco B, Apto 304", "Sala 5")),
                "neighborhood": rng.choice(neighbourhoods),
                "city": city,
                "state": uf,
                "zip_code": f"{zip_prefix}{rng.randint(0, 999_999):06d}",
                "country": "BR",
            }
            row["id"] = self._add("customers", **row)
            self.customers.append(row)

    def _marketplace_number(self, channel: str, number: int) -> str | None:
        rng = self.rng
        if channel == "MERCADO_LIVRE":
            return f"2000{rng.randint(10**9, 10**10 - 1)}"
        if channel == "AMAZON":
            return f"70{rng.randint(1, 9)}-{rng.randint(10**6, 10**7 - 1)}-{rng.randint(10**6, 10**7 - 1)}"
        if channel == "SHOPEE":
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
            return "2601" + "".join(rng.choice(alphabet) for _ in range(10))
        if channel == "MAGALU":
            return f"LU-{rng.randint(10**11, 10**12 - 1)}"
        if channel == "NETSHOES":
            return f"NS{rng.randint(10**8, 10**9 - 1)}"
        if channel == "SITE":
            return f"{100_000 + number}"
        return None

    def _carrier_for(self, channel: str) -> tuple[str, str]:
        rng = self.rng
        if channel == "MERCADO_LIVRE" and rng.random() < 0.8:
            return "MERCADO_ENVIOS", rng.choice(("Mercado Envios Normal", "Mercado Envios Flex"))
        carrier = rng.choice(("CORREIOS", "CORREIOS", "JADLOG", "TOTAL_EXPRESS"))
        service = {
            "CORREIOS": rng.choice(("PAC", "SEDEX")),
            "JADLOG": ".Package",
            "TOTAL_EXPRESS": "Expresso",
        }
        return carrier, service[carrier]

    def _tracking_code(self, carrier: str) -> str:
        rng = self.rng
        if carrier == "CORREIOS":
            return _correios_tracking_code(rng)
        if carrier == "JADLOG":
            return f"{rng.randint(10**13, 10**14 - 1)}"
        if carrier == "MERCADO_ENVIOS":
            return f"4{rng.randint(10**10, 10**11 - 1)}"
        return f"TE{rng.randint(10**9, 10**10 - 1)}"

    def _orders(self) -> None:
        rng = self.rng
        sellable = [s for s in self.skus if s["active"]]
        reserved: dict[tuple[int, int], int] = {}
        channel_codes = [c[0] for c in SALES_CHANNELS]
        channel_weights = [c[3] for c in SALES_CHANNELS]
        statuses = [s for s, _ in ORDER_STATUSES]
        status_weights = [w for _, w in ORDER_STATUSES]
        order_date = ORDER_HISTORY_START
        invoice_number = 1000
        count = max(12, self.n_products // 8)
        for number in range(1, count + 1):
            order_date += timedelta(hours=rng.randint(4, 40), minutes=rng.randint(0, 59))
            status = rng.choices(statuses, status_weights)[0]
            channel = rng.choices(channel_codes, channel_weights)[0]
            customer = rng.choice(self.customers)
            deposit_id = rng.choices(self.deposit_ids, (70, 20, 10))[0]
            open_order = status in ("pending", "approved")

            # Items: only what the deposit can still serve, so open reservations never oversell.
            items: list[tuple[dict[str, Any], int]] = []
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                for _attempt in range(60):
                    sku = rng.choice(sellable)
                    free = self.physical[(sku["id"], deposit_id)] - reserved.get((sku["id"], deposit_id), 0)
                    if free >= 1 and all(sku["id"] != s["id"] for s, _ in items):
                        items.append((sku, rng.randint(1, min(2, free))))
                        break
            if not items:
                continue

            marketplace = channel not in ("BALCAO", "SITE")
            lines = []
            for position, (sku, quantity) in enumerate(items, start=1):
                unit = self.marketplace_price[sku["id"]] if marketplace else sku["sell_price"]
                discount = round(unit * quantity * 0.05, 2) if rng.random() < 0.1 else 0.0
                lines.append((position, sku, quantity, unit, discount, round(unit * quantity - discount, 2)))
            items_total = round(sum(line[5] for line in lines), 2)
            discount = round(items_total * 0.1, 2) if rng.random() < 0.15 else 0.0
            freight = 0.0 if items_total >= 199 or channel == "BALCAO" else round(rng.uniform(12, 45), 2)
            if channel == "MERCADO_LIVRE":
                payment = rng.choice(("CARTAO_CREDITO", "CARTEIRA_DIGITAL", "PIX", "BOLETO"))
            elif channel == "BALCAO":
                payment = rng.choice(("CARTAO_DEBITO", "CARTAO_CREDITO", "PIX"))
            else:
                payment = rng.choice(("CARTAO_CREDITO", "CARTAO_CREDITO", "PIX", "BOLETO"))
            installments = rng.choice((1, 1, 2, 3, 6, 10, 12)) if payment == "CARTAO_CREDITO" else 1
            interest = round(items_total * 0.0199 * (installments - 6), 2) if installments > 6 else 0.0
            total = round(items_total - discount + freight + interest, 2)
            carrier, service = self._carrier_for(channel)
            paid_at = None if status == "pending" else order_date + timedelta(minutes=rng.randint(2, 600))
            cancelled_at = order_date + timedelta(days=rng.randint(1, 2)) if status == "cancelled" else None

            # Fiscal and commercial data, derived without drawing from the generator (same rows per seed).
            mkt = next(c[2] for c in SALES_CHANNELS if c[0] == channel)
            intermediary = fake.INTERMEDIARIES.get(mkt or "")
            card = payment in ("CARTAO_CREDITO", "CARTAO_DEBITO", "CARTEIRA_DIGITAL")
            marketplace_fee = round(items_total * fake.MARKETPLACE_FEE_RATES.get(mkt or "", 0.0), 2)
            gateway_fee = round(total * fake.GATEWAY_FEE_RATES.get(mkt or "", 0.0), 2) if card else 0.0
            if channel == "BALCAO":
                operation = "VENDA_BALCAO"
            elif customer["state_tax_id"]:
                operation = "VENDA_CONTRIBUINTE"
            else:
                operation = "VENDA_CONSUMIDOR"
            order_id = self._add(
                "sales_orders",
                code=f"PV{number:06d}",
                customer_id=customer["id"],
                channel_id=self.channel_ids[channel],
                status=status,
                order_date=order_date,
                paid_at=paid_at,
                cancelled_at=cancelled_at,
                cancel_reason="Cancelado a pedido do comprador" if cancelled_at else None,
                payment_method_id=self.payment_ids[payment],
                installments=installments,
                sales_operation_id=self.operation_ids[operation],
                intermediary_cnpj=intermediary[0] if intermediary else None,
                intermediary_name=intermediary[1] if intermediary else None,
                intermediary_seller_id=fake.seller_id(mkt or "", "Loja Demo") if intermediary else None,
                marketplace_fee=marketplace_fee,
                gateway_fee=gateway_fee,
                carrier_id=self.carrier_ids[carrier],
                shipping_service=service,
                items_total=items_total,
                discount=discount,
                freight=freight,
                interest=interest,
                total=total,
                marketplace_order_number=self._marketplace_number(channel, number),
                anymarket_order_id=None,  # ERP history predating the integration
                fulfillment=channel == "MERCADO_LIVRE" and rng.random() < 0.1,
                ship_receiver_name=customer["name"],
                ship_street=customer["street"],
                ship_number=customer["number"],
                ship_complement=customer["complement"],
                ship_neighborhood=customer["neighborhood"],
                ship_city=customer["city"],
                ship_state=customer["state"],
                ship_zip_code=customer["zip_code"],
                ship_country="BR",
                notes=None,
            )

            self._add(
                "sales_order_payments",
                sales_order_id=order_id,
                position=1,
                payment_method_id=self.payment_ids[payment],
                method=next(name for code, name in PAYMENT_METHODS if code == payment),
                value=total,
                installments=installments,
                marketplace_fee=marketplace_fee,
                gateway_fee=gateway_fee,
                marketplace_payment_id=None,
            )

            issued_at = None
            if status in ("invoiced", "shipped", "delivered"):
                invoice_number += 1
                issued_at = (paid_at or order_date) + timedelta(hours=rng.randint(4, 30))
                self._invoice(order_id, invoice_number, issued_at, customer, total)
                if status != "invoiced":
                    self._shipment(order_id, carrier, issued_at, delivered=status == "delivered")

            released_at = cancelled_at or issued_at  # stock leaves the reservation when invoiced/cancelled
            for position, sku, quantity, unit, line_discount, line_total in lines:
                item_id = self._add(
                    "sales_order_items",
                    sales_order_id=order_id,
                    position=position,
                    sku_id=sku["id"],
                    deposit_id=deposit_id,
                    quantity=quantity,
                    unit_price=unit,
                    discount=line_discount,
                    total=line_total,
                    unit_cost=sku["cost_price"],
                    marketplace_item_id=None,
                )
                self._add(
                    "stock_reservations",
                    sku_id=sku["id"],
                    deposit_id=deposit_id,
                    sales_order_id=order_id,
                    sales_order_item_id=item_id,
                    quantity=quantity,
                    released_at=None if open_order else released_at,
                )
                if open_order:
                    key = (sku["id"], deposit_id)
                    reserved[key] = reserved.get(key, 0) + quantity

    def _invoice(
        self, order_id: int, number: int, issued_at: datetime, customer: dict[str, Any], total: float
    ) -> None:
        local = issued_at.astimezone(BRAZIL)
        # cUF(2) AAMM(4) CNPJ(14) mod(2) série(3) nNF(9) tpEmis(1) cNF(8) + DV: the SEFAZ layout.
        first43 = f"35{local:%y%m}{SELLER_CNPJ}55{1:03d}{number:09d}1{self.rng.randint(0, 99_999_999):08d}"
        key = f"{first43}{nfe_access_key_check_digit(first43)}"
        cfop = "5102" if customer["state"] == "SP" else "6102"  # same state as the issuer, or interstate
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<nfeProc versao="4.00" xmlns="http://www.portalfiscal.inf.br/nfe"><NFe><infNFe '
            f'Id="NFe{key}" versao="4.00"><ide><cUF>35</cUF><natOp>Venda de mercadoria</natOp><mod>55</mod>'
            f"<serie>1</serie><nNF>{number}</nNF><dhEmi>{local.isoformat(timespec='seconds')}</dhEmi></ide>"
            f"<emit><CNPJ>{SELLER_CNPJ}</CNPJ><xNome>{SELLER_NAME}</xNome></emit>"
            f"<dest><{customer['document_type']}>{customer['document']}</{customer['document_type']}>"
            f"<xNome>{customer['name'].replace('&', '&amp;')}</xNome></dest>"
            f'<det nItem="1"><prod><CFOP>{cfop}</CFOP></prod></det>'
            f"<total><ICMSTot><vNF>{total:.2f}</vNF></ICMSTot></total></infNFe></NFe>"
            f'<protNFe versao="4.00"><infProt><chNFe>{key}</chNFe><nProt>1352600{number:08d}</nProt>'
            "<cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe></nfeProc>"
        )
        self._add(
            "invoices",
            sales_order_id=order_id,
            access_key=key,
            number=number,
            series="1",
            issued_at=issued_at,
            cfop=cfop,
            status="authorized",
            total=total,
            link_url=f"https://nfe.example.com/danfe/{key}",
            xml=xml,
        )

    def _shipment(self, order_id: int, carrier: str, issued_at: datetime, *, delivered: bool) -> None:
        rng = self.rng
        code = self._tracking_code(carrier)
        template = next(c[3] for c in CARRIERS if c[0] == carrier)
        shipped_at = issued_at + timedelta(hours=rng.randint(2, 20))
        self._add(
            "shipments",
            sales_order_id=order_id,
            carrier_id=self.carrier_ids[carrier],
            tracking_code=code,
            tracking_url=template.format(tracking_code=code),
            shipped_at=shipped_at,
            estimated_delivery_at=shipped_at + timedelta(days=rng.randint(3, 9)),
            delivered_at=shipped_at + timedelta(days=rng.randint(2, 8)) if delivered else None,
        )


# ---------------------------------------------------------------------------- writing


def _to_db(value: Any, dialect: str) -> Any:
    """Values as the schema stores them: SQLite gets UTC text in the default's format, MariaDB naive UTC."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        if dialect in ("mysql", "mariadb"):
            return utc.replace(tzinfo=None)
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if dialect == "sqlite" else utc
    if isinstance(value, date) and dialect == "sqlite":
        return value.isoformat()
    return value


def _database(url_or_engine: str | sa.URL | Engine | ErpDatabase) -> tuple[ErpDatabase, bool]:
    """An ErpDatabase for the argument, and whether we created (and so must dispose) it."""
    if isinstance(url_or_engine, ErpDatabase):
        return url_or_engine, False
    if isinstance(url_or_engine, Engine):
        return ErpDatabase.from_engine(url_or_engine), False
    return ErpDatabase(url_or_engine), True


def _table_counts(connection: Connection) -> dict[str, int]:
    return {
        table: int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
        for table in TABLES
    }


def seed_demo_erp(
    url_or_engine: str | sa.URL | Engine | ErpDatabase, *, products: int = 300, seed: int = 42
) -> dict[str, int]:
    """Create the reference schema if needed and fill it with the demo ERP; return row counts per table.

    The result maps every table in :data:`TABLES` to its row count, plus ``"skipped"``: ``1`` when the
    database already held products or deposits, in which case nothing was written (the counts are
    then those of the existing data), else ``0``. The same ``seed`` and ``products`` always give the
    same rows, ids included.
    """
    if products < 1:
        raise ValueError("products must be at least 1")
    db, owned = _database(url_or_engine)
    try:
        db.create_schema()
        with db.transaction() as connection:
            existing = _table_counts(connection)
            if existing["products"] or existing["deposits"]:
                if _is_demo_erp(connection) and not existing["sales_operations"]:
                    # A demo ERP seeded by an older version: add the reference rows added since.
                    rows = {"sales_operations": _DemoBuilder(1, seed).build()["sales_operations"]}
                    _insert(connection, "sales_operations", rows["sales_operations"], db.dialect)
                    existing = _table_counts(connection)
                if _is_demo_erp(connection) and existing["deposits"] == len(DEMO_DEPOSITS):
                    # A demo ERP seeded before the Full deposit (demo_mappings.yaml maps it).
                    code, name, default, zip_code = FULL_DEPOSIT
                    row = {
                        "code": code,
                        "name": name,
                        "is_default": default,
                        "active": True,
                        "zip_code": zip_code,
                    }
                    _insert(connection, "deposits", [row], db.dialect)
                    existing = _table_counts(connection)
                log.warning(
                    "ERP at %s already holds %d products and %d deposits: demo seeding skipped",
                    db.engine.url.render_as_string(hide_password=True),
                    existing["products"],
                    existing["deposits"],
                )
                return {**existing, "skipped": 1}
            rows = _DemoBuilder(products, seed).build()
            for table in TABLES:
                if rows[table]:
                    _insert(connection, table, rows[table], db.dialect)
            if db.dialect == "postgresql":
                # Explicit ids do not advance identity sequences; without this the ERP's (or the
                # integration's) next INSERT would collide with id 1.
                for table in TABLES:
                    connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                        )
                    )
            counts = _table_counts(connection)
        log.info("Demo ERP seeded (seed=%s): %s", seed, counts)
        return {**counts, "skipped": 0}
    finally:
        if owned:
            db.dispose()


def _is_demo_erp(connection: Connection) -> bool:
    """The ERP's deposits are exactly the demo's (so it is a demo ERP, never a seller's); one seeded
    before the Full deposit existed too."""
    codes = {r[0] for r in connection.execute(sa.text("SELECT code FROM deposits"))}
    demo = {code for code, *_ in DEMO_DEPOSITS}
    return codes in (demo, demo | {FULL_DEPOSIT[0]})


def _insert(connection: Connection, table: str, rows: list[dict[str, Any]], dialect: str) -> None:
    columns = list(rows[0])
    target = sa.table(table, *(sa.column(name) for name in columns))
    payload = [{name: _to_db(row.get(name), dialect) for name in columns} for row in rows]
    for start in range(0, len(payload), 1000):
        connection.execute(sa.insert(target), payload[start : start + 1000])


def demo_sku_codes(url_or_engine: str | sa.URL | Engine | ErpDatabase) -> list[str]:
    """Codes (AnyMarket ``partnerId``) of the active SKUs of active products, sorted.

    These are the SKUs the integration would publish, so the sandbox demo can be primed with them.
    """
    db, owned = _database(url_or_engine)
    try:
        with db.transaction() as connection:
            result = connection.execute(
                sa.text(
                    "SELECT s.code FROM skus s JOIN products p ON p.id = s.product_id "
                    "WHERE s.active = TRUE AND p.active = TRUE ORDER BY s.code"
                )
            )
            return [row[0] for row in result]
    finally:
        if owned:
            db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: seed a demo ERP and print the counts as JSON; exit 0 also when it was already seeded."""
    parser = argparse.ArgumentParser(
        prog="python -m anymarket_sandbox.demo_erp",
        description="Create the reference ERP schema and fill it with deterministic demo data. "
        "Skips (writes nothing) if the database already holds products or deposits.",
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL, e.g. sqlite:////tmp/erp.db")
    parser.add_argument("--products", type=int, default=300, help="number of products (default 300)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    # Logs to stderr, whatever handlers an import (Airflow's, via the product) installed: stdout is the JSON.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr, force=True)
    counts = seed_demo_erp(args.url, products=args.products, seed=args.seed)
    print(json.dumps(counts, indent=2, sort_keys=True))
    if counts["skipped"]:
        print("already seeded: nothing written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
