"""A deterministic, generated campaign world for the built-in demo network.

``build_world()`` invents an European Citizens' Initiative ("Clean Air for All") and
the people and organisations who talk about it on three-plus Mastodon instances and on
Bluesky: accounts with bios in their own language, posts with hashtags, mentions, links,
replies, quotes and reblogs, opt-outs and bots.  Everything derives from one
``random.Random(seed)`` and a fixed clock (:data:`NOW`), so the same seed always gives
the same world, ids included.  :mod:`scout_demo.server` serves it over loopback HTTP
with the JSON shapes of real Mastodon and Bluesky servers.

Ground truth for tests and evaluation comes from :meth:`World.truth`.
"""

from __future__ import annotations

import bisect
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SPAN_DAYS = 60
RELEASED_SHARE = 0.92

DEMO_CAMPAIGN_NAME = "Clean Air for All"
DEMO_HASHTAGS: tuple[str, ...] = ("CleanAirECI", "RightToBreathe")
DEMO_KEYWORDS: tuple[str, ...] = (
    "clean air initiative",
    "Initiative für saubere Luft",
    "initiative pour un air pur",
    "iniziativa aria pulita",
)
DEMO_BSKY_HANDLE = "scout-demo.bsky.test"
DEMO_BSKY_PASSWORD = "demo-app-password"
CAMPAIGN_URL = "https://cleanair-eci.example/sign"
# Custom emoji every demo instance serves (Mastodon `:shortcode:`).
EU_FLAG = "eu_flag"

# Tags used by off-topic posts in every language, besides each language's own.
GENERIC_NOISE_TAGS: tuple[str, ...] = ("Europa", "Klima", "Photography", "caturday")

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
# Per-language text material for the demo world: names, places, bios, posts.
# {city} {country} {flag} {media} {party} are filled in by the generator.
LANGS: dict[str, dict[str, Any]] = {
    "de": {
        "countries": {
            "DE": (
                "Deutschland",
                "🇩🇪",
                ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden"],
            ),
            "AT": ("Österreich", "🇦🇹", ["Wien", "Graz", "Linz", "Salzburg"]),
        },
        "first": [
            "Anna",
            "Lukas",
            "Jana",
            "Felix",
            "Marie",
            "Jonas",
            "Sabine",
            "Thomas",
            "Leonie",
            "Matthias",
        ],
        "last": [
            "Müller",
            "Schmidt",
            "Becker",
            "Wagner",
            "Hofmann",
            "Krüger",
            "Vogel",
            "Brandt",
            "Huber",
            "Lehmann",
        ],
        "loc": ["aus {city}", "lebt in {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Ort",
        "field_web": "Website",
        "ind": [
            "Lehrerin und Radfahrerin",
            "Krankenpfleger, Vater von zwei Kindern",
            "Studentin der Umweltwissenschaften",
            "Rentner, wandert gern",
            "Softwareentwicklerin mit Asthma",
            "Hebamme und Gärtnerin",
        ],
        "mep": "Mitglied des Europäischen Parlaments ({party})",
        "mp": "Abgeordnete im Bundestag für {party}",
        "mayor": "Bürgermeister von {city}",
        "journalist": "Journalistin bei {media}. Schreibt über Umwelt und Gesundheit",
        "public_figure": "Schauspieler, Autor und Podcaster",
        "ngo": "Gemeinnützige Umweltorganisation. Wir kämpfen für saubere Luft",
        "union": "Gewerkschaft der Beschäftigten im Verkehr und Gesundheitswesen",
        "association": "Verein für Radverkehr und lebenswerte Städte e.V.",
        "party": "Offizieller Account der Partei {party}",
        "public_body": "Umweltamt der Stadt {city}",
        "media": "Nachrichten, Hintergründe und Analysen aus {country}",
        "company": "Hersteller von Luftfiltern und Lüftungstechnik GmbH",
        "foundation": "Gemeinnützige Stiftung für Umwelt und Gesundheit",
        "academic": "Institut für Atmosphärenforschung an der Universität",
        "lobby": "Verband der Automobil- und Zulieferindustrie",
        "bot": "Automatischer Account: Luftqualitätswerte, stündlich",
        "orgs": {
            "ngo": "Luftbündnis",
            "union": "Verkehrsgewerkschaft",
            "association": "Radentscheid",
            "party": "Grüne Mitte",
            "public_body": "Umweltamt",
            "media": "Tagesblick",
            "company": "Klarluft GmbH",
            "foundation": "Stiftung Atemwege",
            "academic": "Institut für Luftforschung",
            "lobby": "Verband Mobilität & Industrie",
        },
        "sup": [
            "Ich habe die Europäische Bürgerinitiative für saubere Luft unterschrieben. Macht mit!",
            "Saubere Luft ist ein Menschenrecht. Jede Unterschrift zählt!",
            "Heute Infostand am Marktplatz: 120 Unterschriften für saubere Luft gesammelt!",
        ],
        "opp": [
            "Die Bürgerinitiative ist ein Jobkiller für die Industrie.",
            "Noch mehr Regeln aus Brüssel? Das kostet Arbeitsplätze.",
        ],
        "neu": [
            "Die EU-Kommission hat die Bürgerinitiative für saubere Luft registriert.",
            "Wie funktioniert eine Europäische Bürgerinitiative? Ein Überblick.",
        ],
        "noise": [
            "Was für ein Spiel gestern!",
            "Neues Rezept ausprobiert: Linsensuppe.",
            "Der Zug hat wieder Verspätung.",
        ],
        "noise_tags": ["Fußball", "Kochen", "Bahn"],
        "reply": ["Danke, habe gerade unterschrieben!", "Genau so ist es."],
        "kw": "Initiative für saubere Luft",
    },
    "fr": {
        "countries": {
            "FR": (
                "France",
                "🇫🇷",
                ["Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Strasbourg"],
            ),
            "BE": ("Belgique", "🇧🇪", ["Bruxelles", "Liège", "Namur", "Charleroi"]),
            "LU": ("Luxembourg", "🇱🇺", ["Luxembourg", "Esch-sur-Alzette"]),
        },
        "first": [
            "Camille",
            "Lucas",
            "Chloé",
            "Hugo",
            "Léa",
            "Julien",
            "Manon",
            "Antoine",
            "Inès",
            "Nicolas",
        ],
        "last": [
            "Martin",
            "Bernard",
            "Dubois",
            "Lefèvre",
            "Moreau",
            "Laurent",
            "Girard",
            "Roux",
            "Fontaine",
            "Mercier",
        ],
        "loc": ["basée à {city}", "habite à {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Localisation",
        "field_web": "Site web",
        "ind": [
            "Professeure des écoles et cycliste",
            "Infirmier, papa de deux enfants",
            "Étudiante en sciences de l'environnement",
            "Retraité, randonneur",
            "Développeuse et asthmatique",
            "Boulanger passionné de jardinage",
        ],
        "mep": "Député européen ({party})",
        "mp": "Députée à l'Assemblée nationale ({party})",
        "mayor": "Maire de {city}",
        "journalist": "Journaliste chez {media}. Environnement et santé",
        "public_figure": "Comédienne, autrice et chroniqueuse",
        "ngo": "ONG environnementale. Nous luttons pour un air pur",
        "union": "Syndicat des travailleurs des transports et de la santé",
        "association": "Association pour le vélo et des villes respirables",
        "party": "Compte officiel du parti {party}",
        "public_body": "Service environnement de la ville de {city}",
        "media": "L'actualité, les analyses et les débats en {country}",
        "company": "Fabricant de purificateurs d'air et de ventilation",
        "foundation": "Fondation reconnue d'utilité publique pour l'environnement",
        "academic": "Laboratoire de recherche sur l'atmosphère, université",
        "lobby": "Fédération des industries automobiles",
        "bot": "Compte automatique : qualité de l'air, chaque heure",
        "orgs": {
            "ngo": "Respirons Ensemble",
            "union": "Syndicat Transports Santé",
            "association": "Vélo Cité",
            "party": "Écologie Commune",
            "public_body": "Ville Environnement",
            "media": "Le Quotidien Vert",
            "company": "AirPur SA",
            "foundation": "Fondation Souffle",
            "academic": "Laboratoire Atmosphère",
            "lobby": "Fédération Auto Industrie",
        },
        "sup": [
            "J'ai signé l'initiative citoyenne européenne pour un air pur. Signez aussi !",
            "L'air pur est un droit. Chaque signature compte !",
            "Stand ce matin au marché : 80 signatures pour l'air pur !",
        ],
        "opp": [
            "Cette initiative citoyenne va tuer des emplois dans l'industrie.",
            "Encore des normes de Bruxelles ? Nos usines vont fermer.",
        ],
        "neu": [
            "La Commission européenne a enregistré l'initiative citoyenne pour un air pur.",
            "Comment fonctionne une initiative citoyenne européenne ? Explications.",
        ],
        "noise": [
            "Quel match hier soir !",
            "Nouvelle recette : soupe de lentilles.",
            "Encore une grève à la gare.",
        ],
        "noise_tags": ["Foot", "Cuisine", "SNCF"],
        "reply": ["Merci, je viens de signer !", "Tout à fait d'accord."],
        "kw": "initiative pour un air pur",
    },
    "nl": {
        "countries": {
            "NL": (
                "Nederland",
                "🇳🇱",
                ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"],
            ),
            "BE": ("België", "🇧🇪", ["Antwerpen", "Gent", "Leuven", "Brugge"]),
        },
        "first": [
            "Sanne",
            "Daan",
            "Lotte",
            "Bram",
            "Fleur",
            "Ruben",
            "Eva",
            "Thijs",
            "Noor",
            "Joris",
        ],
        "last": [
            "de Vries",
            "Jansen",
            "Bakker",
            "Visser",
            "Smit",
            "Peeters",
            "Maes",
            "Willems",
            "de Jong",
            "Mertens",
        ],
        "loc": ["uit {city}", "woont in {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Locatie",
        "field_web": "Website",
        "ind": [
            "Docent en fietser",
            "Verpleegkundige, vader van twee",
            "Student milieuwetenschappen",
            "Gepensioneerd, wandelaar",
            "Programmeur met astma",
        ],
        "mep": "Lid van het Europees Parlement ({party})",
        "mp": "Tweede Kamerlid voor {party}",
        "mayor": "Burgemeester van {city}",
        "journalist": "Journalist bij {media}. Klimaat en gezondheid",
        "public_figure": "Acteur, schrijver en presentator",
        "ngo": "Milieuorganisatie. Wij strijden voor schone lucht",
        "union": "Vakbond voor werknemers in vervoer en zorg",
        "association": "Vereniging voor fietsers en leefbare steden",
        "party": "Officieel account van {party}",
        "public_body": "Milieudienst van de gemeente {city}",
        "media": "Nieuws en achtergronden uit {country}",
        "company": "Producent van luchtfilters en ventilatiesystemen B.V.",
        "foundation": "Stichting voor milieu en gezondheid",
        "academic": "Onderzoeksgroep atmosfeer, universiteit",
        "lobby": "Branchevereniging van de auto-industrie",
        "bot": "Automatisch account: luchtkwaliteit per uur",
        "orgs": {
            "ngo": "Schone Lucht Nu",
            "union": "Vakbond Vervoer",
            "association": "Fietsersbond Stad",
            "party": "Groen Midden",
            "public_body": "Gemeente Milieudienst",
            "media": "Dagblad Vandaag",
            "company": "LuchtZuiver B.V.",
            "foundation": "Stichting Adem",
            "academic": "Atmosfeer Lab",
            "lobby": "Autobranche NL",
        },
        "sup": [
            "Ik heb het Europees burgerinitiatief voor schone lucht getekend. Doe mee!",
            "Schone lucht is een recht. Elke handtekening telt!",
            "Vandaag op de markt 90 handtekeningen opgehaald voor schone lucht!",
        ],
        "opp": [
            "Dit burgerinitiatief kost banen in de industrie.",
            "Nog meer regels uit Brussel? Dat kost werkgelegenheid.",
        ],
        "neu": [
            "De Europese Commissie heeft het burgerinitiatief voor schone lucht geregistreerd.",
            "Hoe werkt een Europees burgerinitiatief? Uitleg.",
        ],
        "noise": [
            "Wat een wedstrijd gisteren!",
            "Nieuw recept: erwtensoep.",
            "De trein is weer te laat.",
        ],
        "noise_tags": ["Voetbal", "Koken", "NS"],
        "reply": ["Dank je, net getekend!", "Helemaal mee eens."],
    },
    "it": {
        "countries": {
            "IT": ("Italia", "🇮🇹", ["Roma", "Milano", "Torino", "Napoli", "Bologna", "Firenze"])
        },
        "first": [
            "Giulia",
            "Marco",
            "Chiara",
            "Luca",
            "Francesca",
            "Matteo",
            "Sara",
            "Alessandro",
            "Elena",
            "Davide",
        ],
        "last": [
            "Rossi",
            "Russo",
            "Ferrari",
            "Esposito",
            "Bianchi",
            "Romano",
            "Colombo",
            "Ricci",
            "Marino",
            "Greco",
        ],
        "loc": ["di {city}", "vivo a {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Località",
        "field_web": "Sito web",
        "ind": [
            "Insegnante e ciclista",
            "Infermiere, papà di due bambini",
            "Studentessa di scienze ambientali",
            "Pensionato, amante delle passeggiate",
            "Sviluppatrice con l'asma",
        ],
        "mep": "Membro del Parlamento europeo ({party})",
        "mp": "Deputata alla Camera ({party})",
        "mayor": "Sindaco di {city}",
        "journalist": "Giornalista a {media}. Ambiente e salute",
        "public_figure": "Attore, scrittore e conduttore",
        "ngo": "Associazione ambientalista. Lottiamo per l'aria pulita",
        "union": "Sindacato dei lavoratori dei trasporti e della sanità",
        "association": "Associazione per la mobilità in bicicletta",
        "party": "Account ufficiale del partito {party}",
        "public_body": "Assessorato all'ambiente del Comune di {city}",
        "media": "Notizie, approfondimenti e analisi dall'{country}",
        "company": "Produttore di purificatori d'aria e impianti di ventilazione",
        "foundation": "Fondazione per l'ambiente e la salute",
        "academic": "Dipartimento di fisica dell'atmosfera, università",
        "lobby": "Associazione dell'industria automobilistica",
        "bot": "Account automatico: qualità dell'aria ogni ora",
        "orgs": {
            "ngo": "Aria Pulita Ora",
            "union": "Sindacato Trasporti",
            "association": "Bici in Città",
            "party": "Verdi Uniti",
            "public_body": "Comune Ambiente",
            "media": "Il Giornale Verde",
            "company": "PuraAria Srl",
            "foundation": "Fondazione Respiro",
            "academic": "Laboratorio Atmosfera",
            "lobby": "Federazione Auto Industria",
        },
        "sup": [
            "Ho firmato l'iniziativa dei cittadini europei per l'aria pulita. Firmate anche voi!",
            "L'aria pulita è un diritto. Ogni firma conta!",
            "Banchetto in piazza oggi: 100 firme per l'aria pulita!",
        ],
        "opp": [
            "Questa iniziativa dei cittadini distrugge posti di lavoro.",
            "Altre regole da Bruxelles? Le fabbriche chiuderanno.",
        ],
        "neu": [
            "La Commissione europea ha registrato l'iniziativa dei cittadini per l'aria pulita.",
            "Come funziona un'iniziativa dei cittadini europei? Spiegazione.",
        ],
        "noise": [
            "Che partita ieri sera!",
            "Nuova ricetta: pasta e fagioli.",
            "Il treno è di nuovo in ritardo.",
        ],
        "noise_tags": ["Calcio", "Cucina", "Treni"],
        "reply": ["Grazie, ho appena firmato!", "Sono d'accordo."],
        "kw": "iniziativa aria pulita",
    },
    "es": {
        "countries": {
            "ES": (
                "España",
                "🇪🇸",
                ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Zaragoza"],
            )
        },
        "first": [
            "Lucía",
            "Javier",
            "Marta",
            "Pablo",
            "Carmen",
            "Diego",
            "Laura",
            "Sergio",
            "Paula",
            "Álvaro",
        ],
        "last": [
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Ruiz",
        ],
        "loc": ["de {city}", "vivo en {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Ubicación",
        "field_web": "Web",
        "ind": [
            "Profesora y ciclista",
            "Enfermero, padre de dos niños",
            "Estudiante de ciencias ambientales",
            "Jubilado, senderista",
            "Programadora con asma",
        ],
        "mep": "Eurodiputado ({party})",
        "mp": "Diputada en el Congreso ({party})",
        "mayor": "Alcaldesa de {city}",
        "journalist": "Periodista en {media}. Medio ambiente y salud",
        "public_figure": "Actriz, escritora y presentadora",
        "ngo": "ONG ecologista. Luchamos por un aire limpio",
        "union": "Sindicato de trabajadores del transporte y la sanidad",
        "association": "Asociación por la bicicleta y ciudades habitables",
        "party": "Cuenta oficial del partido {party}",
        "public_body": "Área de medio ambiente del Ayuntamiento de {city}",
        "media": "Noticias y análisis de {country}",
        "company": "Fabricante de purificadores de aire y ventilación S.L.",
        "foundation": "Fundación para el medio ambiente y la salud",
        "academic": "Grupo de investigación atmosférica, universidad",
        "lobby": "Asociación de fabricantes de automóviles",
        "bot": "Cuenta automática: calidad del aire cada hora",
        "orgs": {
            "ngo": "Aire Limpio Ya",
            "union": "Sindicato Transporte",
            "association": "Ciudad en Bici",
            "party": "Verdes Unidos",
            "public_body": "Ayuntamiento Medio Ambiente",
            "media": "Diario Verde",
            "company": "AirePuro S.L.",
            "foundation": "Fundación Respira",
            "academic": "Laboratorio Atmósfera",
            "lobby": "Asociación Motor Industria",
        },
        "sup": [
            "He firmado la iniciativa ciudadana europea por el aire limpio. ¡Firma tú también!",
            "El aire limpio es un derecho. ¡Cada firma cuenta!",
            "Hoy en el mercado: 110 firmas por el aire limpio.",
        ],
        "opp": [
            "Esta iniciativa ciudadana destruye empleo en la industria.",
            "¿Más normas de Bruselas? Cerrarán fábricas.",
        ],
        "neu": [
            "La Comisión Europea ha registrado la iniciativa ciudadana por el aire limpio.",
            "¿Cómo funciona una iniciativa ciudadana europea? Lo explicamos.",
        ],
        "noise": [
            "¡Qué partido anoche!",
            "Nueva receta: lentejas.",
            "El tren otra vez con retraso.",
        ],
        "noise_tags": ["Fútbol", "Cocina", "Renfe"],
        "reply": ["¡Gracias, acabo de firmar!", "Totalmente de acuerdo."],
    },
    "pt": {
        "countries": {"PT": ("Portugal", "🇵🇹", ["Lisboa", "Porto", "Coimbra", "Braga"])},
        "first": [
            "Inês",
            "João",
            "Beatriz",
            "Tiago",
            "Mariana",
            "Rui",
            "Ana",
            "Pedro",
            "Sofia",
            "Miguel",
        ],
        "last": [
            "Silva",
            "Santos",
            "Ferreira",
            "Pereira",
            "Oliveira",
            "Costa",
            "Rodrigues",
            "Martins",
            "Sousa",
            "Gomes",
        ],
        "loc": ["de {city}", "vivo em {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Localização",
        "field_web": "Site",
        "ind": [
            "Professora e ciclista",
            "Enfermeiro, pai de dois filhos",
            "Estudante de ciências do ambiente",
            "Reformado, gosta de caminhadas",
        ],
        "mep": "Deputado ao Parlamento Europeu ({party})",
        "mp": "Deputada à Assembleia da República ({party})",
        "mayor": "Presidente da Câmara de {city}",
        "journalist": "Jornalista no {media}. Ambiente e saúde",
        "public_figure": "Ator, escritor e apresentador",
        "ngo": "Associação ambientalista. Lutamos por ar limpo",
        "union": "Sindicato dos trabalhadores dos transportes e da saúde",
        "association": "Associação pela bicicleta e cidades saudáveis",
        "party": "Conta oficial do partido {party}",
        "public_body": "Divisão de ambiente da Câmara Municipal de {city}",
        "media": "Notícias e análise de {country}",
        "company": "Fabricante de purificadores de ar e ventilação Lda.",
        "foundation": "Fundação para o ambiente e a saúde",
        "academic": "Centro de investigação atmosférica, universidade",
        "lobby": "Associação da indústria automóvel",
        "bot": "Conta automática: qualidade do ar a cada hora",
        "orgs": {
            "ngo": "Ar Limpo Já",
            "union": "Sindicato Transportes",
            "association": "Cidade de Bicicleta",
            "party": "Verdes Juntos",
            "public_body": "Câmara Ambiente",
            "media": "Diário Verde",
            "company": "ArPuro Lda",
            "foundation": "Fundação Respirar",
            "academic": "Laboratório Atmosfera",
            "lobby": "Associação Auto Indústria",
        },
        "sup": [
            "Assinei a iniciativa de cidadania europeia pelo ar limpo. Assine também!",
            "Ar limpo é um direito. Cada assinatura conta!",
            "Banca no mercado hoje: 70 assinaturas pelo ar limpo!",
        ],
        "opp": [
            "Esta iniciativa de cidadania destrói empregos na indústria.",
            "Mais regras de Bruxelas? As fábricas vão fechar.",
        ],
        "neu": [
            "A Comissão Europeia registou a iniciativa de cidadania pelo ar limpo.",
            "Como funciona uma iniciativa de cidadania europeia? Explicamos.",
        ],
        "noise": [
            "Que jogo ontem!",
            "Nova receita: bacalhau com natas.",
            "O comboio está outra vez atrasado.",
        ],
        "noise_tags": ["Futebol", "Culinária", "CP"],
        "reply": ["Obrigada, acabei de assinar!", "Concordo totalmente."],
    },
    "pl": {
        "countries": {
            "PL": ("Polska", "🇵🇱", ["Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk", "Poznań"])
        },
        "first": [
            "Zofia",
            "Jakub",
            "Agnieszka",
            "Piotr",
            "Katarzyna",
            "Michał",
            "Magdalena",
            "Tomasz",
            "Aleksandra",
            "Paweł",
        ],
        "last": [
            "Nowak",
            "Kowalska",
            "Wiśniewski",
            "Wójcik",
            "Kamińska",
            "Lewandowski",
            "Zieliński",
            "Szymańska",
            "Woźniak",
            "Dąbrowski",
        ],
        "loc": ["z {city}", "mieszkam w: {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Lokalizacja",
        "field_web": "Strona",
        "ind": [
            "Nauczycielka i rowerzystka",
            "Pielęgniarz, tata dwójki dzieci",
            "Studentka ochrony środowiska",
            "Emeryt, lubi wędrówki",
            "Programistka z astmą",
        ],
        "mep": "Poseł do Parlamentu Europejskiego ({party})",
        "mp": "Posłanka na Sejm ({party})",
        "mayor": "Prezydent miasta {city}",
        "journalist": "Dziennikarka {media}. Środowisko i zdrowie",
        "public_figure": "Aktor, pisarz i prezenter",
        "ngo": "Organizacja ekologiczna. Walczymy o czyste powietrze",
        "union": "Związek zawodowy pracowników transportu i ochrony zdrowia",
        "association": "Stowarzyszenie na rzecz rowerów i zdrowych miast",
        "party": "Oficjalne konto partii {party}",
        "public_body": "Wydział ochrony środowiska Urzędu Miasta {city}",
        "media": "Wiadomości i analizy z kraju: {country}",
        "company": "Producent oczyszczaczy powietrza i wentylacji sp. z o.o.",
        "foundation": "Fundacja na rzecz środowiska i zdrowia",
        "academic": "Zakład fizyki atmosfery, uniwersytet",
        "lobby": "Związek przemysłu motoryzacyjnego",
        "bot": "Konto automatyczne: jakość powietrza co godzinę",
        "orgs": {
            "ngo": "Czyste Powietrze Teraz",
            "union": "Związek Transportowców",
            "association": "Miasto Rowerów",
            "party": "Zieloni Razem",
            "public_body": "Urząd Miasta Środowisko",
            "media": "Gazeta Zielona",
            "company": "CzysteAir sp. z o.o.",
            "foundation": "Fundacja Oddech",
            "academic": "Laboratorium Atmosfery",
            "lobby": "Związek Motoryzacji",
        },
        "sup": [
            "Podpisałam europejską inicjatywę obywatelską na rzecz czystego powietrza. Dołącz!",
            "Czyste powietrze to prawo. Każdy podpis się liczy!",
            "Dziś na rynku zebraliśmy 95 podpisów za czystym powietrzem!",
        ],
        "opp": [
            "Ta inicjatywa obywatelska zabije miejsca pracy w przemyśle.",
            "Kolejne przepisy z Brukseli? Zamkną fabryki.",
        ],
        "neu": [
            "Komisja Europejska zarejestrowała inicjatywę obywatelską w sprawie czystego powietrza.",
            "Jak działa europejska inicjatywa obywatelska? Wyjaśniamy.",
        ],
        "noise": ["Co za mecz wczoraj!", "Nowy przepis: żurek.", "Pociąg znowu spóźniony."],
        "noise_tags": ["Piłka", "Gotowanie", "PKP"],
        "reply": ["Dzięki, właśnie podpisałam!", "Całkowicie się zgadzam."],
    },
    "cs": {
        "countries": {"CZ": ("Česko", "🇨🇿", ["Praha", "Brno", "Ostrava", "Plzeň"])},
        "first": [
            "Tereza",
            "Jan",
            "Eliška",
            "Petr",
            "Lucie",
            "Tomáš",
            "Kateřina",
            "Martin",
            "Veronika",
            "Jakub",
        ],
        "last": [
            "Novák",
            "Svobodová",
            "Dvořák",
            "Černá",
            "Procházka",
            "Kučerová",
            "Veselý",
            "Horáková",
            "Němec",
            "Marešová",
        ],
        "loc": ["z města {city}", "žiju v: {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Místo",
        "field_web": "Web",
        "ind": [
            "Učitelka a cyklistka",
            "Zdravotní bratr, otec dvou dětí",
            "Studentka environmentalistiky",
            "Důchodce, rád chodí po horách",
        ],
        "mep": "Poslanec Evropského parlamentu ({party})",
        "mp": "Poslankyně Poslanecké sněmovny ({party})",
        "mayor": "Primátor města {city}",
        "journalist": "Novinářka v {media}. Životní prostředí a zdraví",
        "public_figure": "Herec, spisovatel a moderátor",
        "ngo": "Ekologická organizace. Bojujeme za čistý vzduch",
        "union": "Odborový svaz pracovníků dopravy a zdravotnictví",
        "association": "Spolek pro cyklistiku a zdravá města",
        "party": "Oficiální účet strany {party}",
        "public_body": "Odbor životního prostředí magistrátu {city}",
        "media": "Zprávy a analýzy: {country}",
        "company": "Výrobce čističek vzduchu a vzduchotechniky s.r.o.",
        "foundation": "Nadace pro životní prostředí a zdraví",
        "academic": "Ústav fyziky atmosféry, univerzita",
        "lobby": "Sdružení automobilového průmyslu",
        "bot": "Automatický účet: kvalita ovzduší každou hodinu",
        "orgs": {
            "ngo": "Čistý Vzduch Hned",
            "union": "Odbory Doprava",
            "association": "Město na Kole",
            "party": "Zelení Spolu",
            "public_body": "Magistrát Životní Prostředí",
            "media": "Zelený Deník",
            "company": "ČistýVzduch s.r.o.",
            "foundation": "Nadace Dech",
            "academic": "Atmosférická Laboratoř",
            "lobby": "Svaz Autoprůmyslu",
        },
        "sup": [
            "Podepsala jsem evropskou občanskou iniciativu za čistý vzduch. Přidejte se!",
            "Čistý vzduch je právo. Každý podpis se počítá!",
            "Dnes na náměstí 60 podpisů za čistý vzduch!",
        ],
        "opp": [
            "Tato občanská iniciativa zničí pracovní místa v průmyslu.",
            "Další pravidla z Bruselu? Továrny zavřou.",
        ],
        "neu": [
            "Evropská komise zaregistrovala občanskou iniciativu za čistý vzduch.",
            "Jak funguje evropská občanská iniciativa? Vysvětlujeme.",
        ],
        "noise": ["To byl zápas!", "Nový recept: svíčková.", "Vlak má zase zpoždění."],
        "noise_tags": ["Fotbal", "Vaření", "ČD"],
        "reply": ["Díky, právě jsem podepsala!", "Naprosto souhlasím."],
    },
    "hu": {
        "countries": {"HU": ("Magyarország", "🇭🇺", ["Budapest", "Debrecen", "Szeged", "Pécs"])},
        "first": [
            "Eszter",
            "Bence",
            "Réka",
            "Dániel",
            "Anna",
            "Gábor",
            "Zsófia",
            "Péter",
            "Katalin",
            "Máté",
        ],
        "last": [
            "Nagy",
            "Kovács",
            "Tóth",
            "Szabó",
            "Horváth",
            "Varga",
            "Kiss",
            "Molnár",
            "Németh",
            "Farkas",
        ],
        "loc": ["{city}i lakos", "{city}, {country}", "📍 {city}", "{city} {flag}"],
        "field_loc": "Hely",
        "field_web": "Weboldal",
        "ind": [
            "Tanárnő és kerékpáros",
            "Ápoló, két gyerek apja",
            "Környezettudomány szakos hallgató",
            "Nyugdíjas, szeret túrázni",
        ],
        "mep": "Európai parlamenti képviselő ({party})",
        "mp": "Országgyűlési képviselő ({party})",
        "mayor": "{city} polgármestere",
        "journalist": "Újságíró, {media}. Környezet és egészség",
        "public_figure": "Színész, író és műsorvezető",
        "ngo": "Környezetvédelmi egyesület. A tiszta levegőért küzdünk",
        "union": "A közlekedési és egészségügyi dolgozók szakszervezete",
        "association": "Egyesület a kerékpározásért és élhető városokért",
        "party": "A(z) {party} párt hivatalos oldala",
        "public_body": "{city} önkormányzatának környezetvédelmi osztálya",
        "media": "Hírek és elemzések: {country}",
        "company": "Légtisztítók és szellőzőrendszerek gyártója Kft.",
        "foundation": "Alapítvány a környezetért és az egészségért",
        "academic": "Légkörfizikai tanszék, egyetem",
        "lobby": "Gépjárműipari szövetség",
        "bot": "Automatikus fiók: óránkénti levegőminőség",
        "orgs": {
            "ngo": "Tiszta Levegőt Most",
            "union": "Közlekedési Szakszervezet",
            "association": "Bringás Város",
            "party": "Zöld Összefogás",
            "public_body": "Önkormányzat Környezetvédelem",
            "media": "Zöld Napló",
            "company": "TisztaLég Kft.",
            "foundation": "Lélegzet Alapítvány",
            "academic": "Légkör Labor",
            "lobby": "Autóipari Szövetség",
        },
        "sup": [
            "Aláírtam a tiszta levegőért indított európai polgári kezdeményezést. Csatlakozz!",
            "A tiszta levegő jog. Minden aláírás számít!",
            "Ma a piacon 75 aláírást gyűjtöttünk a tiszta levegőért!",
        ],
        "opp": [
            "Ez a polgári kezdeményezés munkahelyeket szüntet meg.",
            "Még több brüsszeli szabály? Bezárnak a gyárak.",
        ],
        "neu": [
            "Az Európai Bizottság nyilvántartásba vette a tiszta levegőért indított polgári kezdeményezést.",
            "Hogyan működik az európai polgári kezdeményezés? Elmagyarázzuk.",
        ],
        "noise": ["Micsoda meccs volt tegnap!", "Új recept: gulyásleves.", "Megint késik a vonat."],
        "noise_tags": ["Foci", "Főzés", "MÁV"],
        "reply": ["Köszi, most írtam alá!", "Teljesen egyetértek."],
    },
    "ro": {
        "countries": {"RO": ("România", "🇷🇴", ["București", "Cluj-Napoca", "Iași", "Timișoara"])},
        "first": [
            "Ioana",
            "Andrei",
            "Maria",
            "Mihai",
            "Elena",
            "Alexandru",
            "Ana",
            "Ștefan",
            "Cristina",
            "Vlad",
        ],
        "last": [
            "Popescu",
            "Ionescu",
            "Popa",
            "Dumitrescu",
            "Stan",
            "Stoica",
            "Gheorghe",
            "Matei",
            "Ciobanu",
            "Rusu",
        ],
        "loc": ["din {city}", "locuiesc în {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Locație",
        "field_web": "Site",
        "ind": [
            "Profesoară și biciclistă",
            "Asistent medical, tată a doi copii",
            "Studentă la științele mediului",
            "Pensionar, iubitor de drumeții",
        ],
        "mep": "Membru al Parlamentului European ({party})",
        "mp": "Deputată în Parlamentul României ({party})",
        "mayor": "Primarul municipiului {city}",
        "journalist": "Jurnalistă la {media}. Mediu și sănătate",
        "public_figure": "Actor, scriitor și prezentator",
        "ngo": "Organizație de mediu. Luptăm pentru aer curat",
        "union": "Sindicatul lucrătorilor din transporturi și sănătate",
        "association": "Asociație pentru biciclete și orașe sănătoase",
        "party": "Contul oficial al partidului {party}",
        "public_body": "Direcția de mediu a Primăriei {city}",
        "media": "Știri și analize din {country}",
        "company": "Producător de purificatoare de aer și ventilație S.R.L.",
        "foundation": "Fundație pentru mediu și sănătate",
        "academic": "Departamentul de fizica atmosferei, universitate",
        "lobby": "Asociația industriei auto",
        "bot": "Cont automat: calitatea aerului în fiecare oră",
        "orgs": {
            "ngo": "Aer Curat Acum",
            "union": "Sindicatul Transporturi",
            "association": "Orașul pe Bicicletă",
            "party": "Verzii Uniți",
            "public_body": "Primăria Mediu",
            "media": "Jurnalul Verde",
            "company": "AerPur S.R.L.",
            "foundation": "Fundația Respiră",
            "academic": "Laboratorul Atmosferă",
            "lobby": "Asociația Auto Industrie",
        },
        "sup": [
            "Am semnat inițiativa cetățenească europeană pentru aer curat. Semnează și tu!",
            "Aerul curat este un drept. Fiecare semnătură contează!",
            "Azi la piață am strâns 85 de semnături pentru aer curat!",
        ],
        "opp": [
            "Această inițiativă cetățenească distruge locuri de muncă.",
            "Alte reguli de la Bruxelles? Fabricile se vor închide.",
        ],
        "neu": [
            "Comisia Europeană a înregistrat inițiativa cetățenească pentru aer curat.",
            "Cum funcționează o inițiativă cetățenească europeană? Explicăm.",
        ],
        "noise": ["Ce meci aseară!", "Rețetă nouă: ciorbă de perișoare.", "Trenul iar întârzie."],
        "noise_tags": ["Fotbal", "Gătit", "CFR"],
        "reply": ["Mulțumesc, tocmai am semnat!", "Sunt total de acord."],
    },
    "el": {
        "countries": {
            "GR": ("Ελλάδα", "🇬🇷", ["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο"]),
            "CY": ("Κύπρος", "🇨🇾", ["Λευκωσία", "Λεμεσός", "Λάρνακα"]),
        },
        "first": [
            "Μαρία",
            "Γιώργος",
            "Ελένη",
            "Νίκος",
            "Κατερίνα",
            "Δημήτρης",
            "Σοφία",
            "Κώστας",
            "Άννα",
            "Γιάννης",
        ],
        "last": [
            "Παπαδοπούλου",
            "Οικονόμου",
            "Γεωργίου",
            "Νικολάου",
            "Παπαδάκης",
            "Βασιλείου",
            "Ιωάννου",
            "Αντωνίου",
            "Κωνσταντίνου",
            "Δημητρίου",
        ],
        "loc": ["από {city}", "ζω στην πόλη {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Τοποθεσία",
        "field_web": "Ιστότοπος",
        "ind": [
            "Δασκάλα και ποδηλάτισσα",
            "Νοσηλευτής, πατέρας δύο παιδιών",
            "Φοιτήτρια περιβαλλοντικών επιστημών",
            "Συνταξιούχος, λάτρης της πεζοπορίας",
        ],
        "mep": "Ευρωβουλευτής ({party})",
        "mp": "Βουλευτής ({party})",
        "mayor": "Δήμαρχος της πόλης {city}",
        "journalist": "Δημοσιογράφος στο {media}. Περιβάλλον και υγεία",
        "public_figure": "Ηθοποιός, συγγραφέας και παρουσιαστής",
        "ngo": "Περιβαλλοντική οργάνωση. Παλεύουμε για καθαρό αέρα",
        "union": "Συνδικάτο εργαζομένων στις μεταφορές και την υγεία",
        "association": "Σύλλογος για το ποδήλατο και βιώσιμες πόλεις",
        "party": "Επίσημος λογαριασμός του κόμματος {party}",
        "public_body": "Διεύθυνση περιβάλλοντος του Δήμου {city}",
        "media": "Ειδήσεις και αναλύσεις: {country}",
        "company": "Κατασκευαστής καθαριστών αέρα και συστημάτων εξαερισμού Α.Ε.",
        "foundation": "Ίδρυμα για το περιβάλλον και την υγεία",
        "academic": "Εργαστήριο φυσικής της ατμόσφαιρας, πανεπιστήμιο",
        "lobby": "Ένωση αυτοκινητοβιομηχανιών",
        "bot": "Αυτόματος λογαριασμός: ποιότητα αέρα κάθε ώρα",
        "orgs": {
            "ngo": "Καθαρός Αέρας Τώρα",
            "union": "Συνδικάτο Μεταφορών",
            "association": "Πόλη με Ποδήλατο",
            "party": "Πράσινη Συμμαχία",
            "public_body": "Δήμος Περιβάλλον",
            "media": "Πράσινη Εφημερίδα",
            "company": "ΚαθαρόςΑέρας Α.Ε.",
            "foundation": "Ίδρυμα Ανάσα",
            "academic": "Εργαστήριο Ατμόσφαιρας",
            "lobby": "Ένωση Αυτοκινήτου",
        },
        "sup": [
            "Υπέγραψα την ευρωπαϊκή πρωτοβουλία πολιτών για καθαρό αέρα. Υπογράψτε κι εσείς!",
            "Ο καθαρός αέρας είναι δικαίωμα. Κάθε υπογραφή μετράει!",
            "Σήμερα στη λαϊκή μαζέψαμε 65 υπογραφές για καθαρό αέρα!",
        ],
        "opp": [
            "Αυτή η πρωτοβουλία πολιτών θα κοστίσει θέσεις εργασίας.",
            "Κι άλλοι κανόνες από τις Βρυξέλλες; Θα κλείσουν εργοστάσια.",
        ],
        "neu": [
            "Η Ευρωπαϊκή Επιτροπή κατέγραψε την πρωτοβουλία πολιτών για καθαρό αέρα.",
            "Πώς λειτουργεί μια ευρωπαϊκή πρωτοβουλία πολιτών; Εξηγούμε.",
        ],
        "noise": ["Τι αγώνας χθες!", "Νέα συνταγή: φασολάδα.", "Το τρένο έχει πάλι καθυστέρηση."],
        "noise_tags": ["Ποδόσφαιρο", "Μαγειρική", "Τρένα"],
        "reply": ["Ευχαριστώ, μόλις υπέγραψα!", "Συμφωνώ απόλυτα."],
    },
    "en": {
        "countries": {
            "IE": ("Ireland", "🇮🇪", ["Dublin", "Cork", "Galway", "Limerick"]),
            "MT": ("Malta", "🇲🇹", ["Valletta", "Sliema", "Birkirkara"]),
        },
        "first": [
            "Aoife",
            "Conor",
            "Siobhan",
            "Liam",
            "Niamh",
            "Sean",
            "Ciara",
            "Darragh",
            "Orla",
            "Maria",
        ],
        "last": [
            "Murphy",
            "Kelly",
            "O'Sullivan",
            "Walsh",
            "Byrne",
            "Ryan",
            "O'Brien",
            "Borg",
            "Camilleri",
            "Farrugia",
        ],
        "loc": ["from {city}", "living in {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Location",
        "field_web": "Website",
        "ind": [
            "Teacher and cyclist",
            "Nurse, dad of two",
            "Environmental science student",
            "Retired, loves hillwalking",
            "Software developer with asthma",
            "Primary school teacher, parent, runner",
        ],
        "mep": "Member of the European Parliament ({party})",
        "mp": "TD, member of Dáil Éireann ({party})",
        "mayor": "Lord Mayor of {city}",
        "journalist": "Reporter at {media}. Environment and health",
        "public_figure": "Actor, author and broadcaster",
        "ngo": "Environmental NGO campaigning for clean air",
        "union": "Trade union for transport and health workers",
        "association": "Cycling campaign and residents' association",
        "party": "Official account of {party}",
        "public_body": "Environment department of {city} City Council",
        "media": "News and analysis from {country}",
        "company": "Manufacturer of air purifiers and ventilation systems Ltd",
        "foundation": "Charitable foundation for environment and health",
        "academic": "Atmospheric research group, university",
        "lobby": "Motor industry federation",
        "bot": "Automated account: hourly air quality readings",
        "orgs": {
            "ngo": "Clean Air Now",
            "union": "Transport Workers Union",
            "association": "Cycle City",
            "party": "Green Alliance",
            "public_body": "City Council Environment",
            "media": "The Daily Leaf",
            "company": "PureAir Ltd",
            "foundation": "Breathe Foundation",
            "academic": "Atmosphere Lab",
            "lobby": "Motor Industry Federation",
        },
        "sup": [
            "I signed the European Citizens' Initiative for clean air. Please sign too!",
            "Clean air is a right. Every signature counts!",
            "Stall at the farmers' market today: 90 signatures for clean air!",
        ],
        "opp": [
            "This citizens' initiative is a job killer for industry.",
            "More rules from Brussels? Factories will close.",
        ],
        "neu": [
            "The European Commission has registered the citizens' initiative on clean air.",
            "How does a European Citizens' Initiative work? An explainer.",
        ],
        "noise": ["What a match last night!", "New recipe: Irish stew.", "The bus is late again."],
        "noise_tags": ["GAA", "Cooking", "Transport"],
        "reply": ["Thanks, just signed!", "Couldn't agree more."],
        "kw": "clean air initiative",
    },
    "sv": {
        "countries": {"SE": ("Sverige", "🇸🇪", ["Stockholm", "Göteborg", "Malmö", "Uppsala"])},
        "first": [
            "Elin",
            "Erik",
            "Maja",
            "Oskar",
            "Ebba",
            "Johan",
            "Linnea",
            "Anders",
            "Sara",
            "Karl",
        ],
        "last": [
            "Andersson",
            "Johansson",
            "Karlsson",
            "Nilsson",
            "Eriksson",
            "Larsson",
            "Olsson",
            "Persson",
            "Svensson",
            "Lindqvist",
        ],
        "loc": ["från {city}", "bor i {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Plats",
        "field_web": "Webbplats",
        "ind": [
            "Lärare och cyklist",
            "Sjuksköterska, pappa till två",
            "Student i miljövetenskap",
            "Pensionär, gillar att vandra",
        ],
        "mep": "Ledamot av Europaparlamentet ({party})",
        "mp": "Riksdagsledamot ({party})",
        "mayor": "Kommunstyrelsens ordförande i {city}",
        "journalist": "Journalist på {media}. Miljö och hälsa",
        "public_figure": "Skådespelare, författare och programledare",
        "ngo": "Miljöorganisation. Vi kämpar för ren luft",
        "union": "Fackförbund för anställda inom transport och vård",
        "association": "Förening för cykling och levande städer",
        "party": "Officiellt konto för {party}",
        "public_body": "Miljöförvaltningen i {city}",
        "media": "Nyheter och analys från {country}",
        "company": "Tillverkare av luftrenare och ventilation AB",
        "foundation": "Stiftelse för miljö och hälsa",
        "academic": "Forskargrupp för atmosfärsvetenskap, universitet",
        "lobby": "Fordonsindustrins branschförening",
        "bot": "Automatiskt konto: luftkvalitet varje timme",
        "orgs": {
            "ngo": "Ren Luft Nu",
            "union": "Transportfacket",
            "association": "Cykelstaden",
            "party": "Gröna Mitten",
            "public_body": "Miljöförvaltningen",
            "media": "Dagens Löv",
            "company": "RenLuft AB",
            "foundation": "Stiftelsen Andas",
            "academic": "Atmosfärslabbet",
            "lobby": "Fordonsindustrin",
        },
        "sup": [
            "Jag har skrivit under det europeiska medborgarinitiativet för ren luft. Skriv du också!",
            "Ren luft är en rättighet. Varje underskrift räknas!",
            "Bokbord på torget i dag: 70 underskrifter för ren luft!",
        ],
        "opp": [
            "Detta medborgarinitiativ kostar jobb i industrin.",
            "Ännu fler regler från Bryssel? Fabriker kommer att stänga.",
        ],
        "neu": [
            "EU-kommissionen har registrerat medborgarinitiativet för ren luft.",
            "Hur fungerar ett europeiskt medborgarinitiativ? Vi förklarar.",
        ],
        "noise": ["Vilken match i går!", "Nytt recept: ärtsoppa.", "Tåget är försenat igen."],
        "noise_tags": ["Fotboll", "Matlagning", "SJ"],
        "reply": ["Tack, har just skrivit under!", "Håller helt med."],
    },
    "fi": {
        "countries": {"FI": ("Suomi", "🇫🇮", ["Helsinki", "Tampere", "Turku", "Oulu"])},
        "first": [
            "Aino",
            "Mikko",
            "Emma",
            "Juha",
            "Laura",
            "Antti",
            "Sanna",
            "Ville",
            "Kaisa",
            "Janne",
        ],
        "last": [
            "Korhonen",
            "Virtanen",
            "Mäkinen",
            "Nieminen",
            "Mäkelä",
            "Hämäläinen",
            "Laine",
            "Heikkinen",
            "Koskinen",
            "Järvinen",
        ],
        "loc": ["{city}", "asun: {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Sijainti",
        "field_web": "Verkkosivu",
        "ind": [
            "Opettaja ja pyöräilijä",
            "Sairaanhoitaja, kahden lapsen isä",
            "Ympäristötieteiden opiskelija",
            "Eläkeläinen, retkeilee mielellään",
        ],
        "mep": "Euroopan parlamentin jäsen ({party})",
        "mp": "Kansanedustaja ({party})",
        "mayor": "Pormestari, {city}",
        "journalist": "Toimittaja, {media}. Ympäristö ja terveys",
        "public_figure": "Näyttelijä, kirjailija ja juontaja",
        "ngo": "Ympäristöjärjestö. Taistelemme puhtaan ilman puolesta",
        "union": "Liikenteen ja terveydenhuollon työntekijöiden ammattiliitto",
        "association": "Pyöräily- ja kaupunkiyhdistys ry",
        "party": "Puolueen {party} virallinen tili",
        "public_body": "Ympäristöpalvelut, {city}",
        "media": "Uutisia ja analyyseja: {country}",
        "company": "Ilmanpuhdistimien ja ilmanvaihdon valmistaja Oy",
        "foundation": "Ympäristön ja terveyden säätiö",
        "academic": "Ilmakehätieteiden tutkimusryhmä, yliopisto",
        "lobby": "Autoteollisuuden liitto",
        "bot": "Automaattinen tili: ilmanlaatu tunneittain",
        "orgs": {
            "ngo": "Puhdas Ilma Nyt",
            "union": "Liikenneliitto",
            "association": "Pyöräkaupunki ry",
            "party": "Vihreä Keskusta",
            "public_body": "Kaupungin Ympäristöpalvelut",
            "media": "Päivän Lehti",
            "company": "PuhdasIlma Oy",
            "foundation": "Hengitys-säätiö",
            "academic": "Ilmakehälaboratorio",
            "lobby": "Autoteollisuusliitto",
        },
        "sup": [
            "Allekirjoitin eurooppalaisen kansalaisaloitteen puhtaan ilman puolesta. Allekirjoita sinäkin!",
            "Puhdas ilma on oikeus. Jokainen allekirjoitus ratkaisee!",
            "Torilla tänään 55 allekirjoitusta puhtaan ilman puolesta!",
        ],
        "opp": [
            "Tämä kansalaisaloite vie työpaikkoja teollisuudesta.",
            "Lisää sääntöjä Brysselistä? Tehtaat sulkeutuvat.",
        ],
        "neu": [
            "Euroopan komissio on rekisteröinyt puhdasta ilmaa koskevan kansalaisaloitteen.",
            "Miten eurooppalainen kansalaisaloite toimii? Selitämme.",
        ],
        "noise": ["Mikä ottelu eilen!", "Uusi resepti: hernekeitto.", "Juna on taas myöhässä."],
        "noise_tags": ["Jalkapallo", "Ruoanlaitto", "VR"],
        "reply": ["Kiitos, allekirjoitin juuri!", "Olen täysin samaa mieltä."],
    },
    "da": {
        "countries": {"DK": ("Danmark", "🇩🇰", ["København", "Aarhus", "Odense", "Aalborg"])},
        "first": [
            "Ida",
            "Mads",
            "Freja",
            "Rasmus",
            "Sofie",
            "Mikkel",
            "Emma",
            "Frederik",
            "Laura",
            "Christian",
        ],
        "last": [
            "Jensen",
            "Nielsen",
            "Hansen",
            "Pedersen",
            "Andersen",
            "Christensen",
            "Larsen",
            "Sørensen",
            "Rasmussen",
            "Jørgensen",
        ],
        "loc": ["fra {city}", "bor i {city}", "📍 {city}, {country}", "{city} {flag}"],
        "field_loc": "Sted",
        "field_web": "Hjemmeside",
        "ind": [
            "Lærer og cyklist",
            "Sygeplejerske, far til to",
            "Studerende i miljøvidenskab",
            "Pensionist, elsker vandreture",
        ],
        "mep": "Medlem af Europa-Parlamentet ({party})",
        "mp": "Folketingsmedlem ({party})",
        "mayor": "Borgmester i {city}",
        "journalist": "Journalist på {media}. Miljø og sundhed",
        "public_figure": "Skuespiller, forfatter og vært",
        "ngo": "Miljøorganisation. Vi kæmper for ren luft",
        "union": "Fagforbund for ansatte i transport og sundhed",
        "association": "Forening for cyklister og levende byer",
        "party": "Officiel konto for {party}",
        "public_body": "Miljøforvaltningen i {city} Kommune",
        "media": "Nyheder og analyser fra {country}",
        "company": "Producent af luftrensere og ventilation ApS",
        "foundation": "Fond for miljø og sundhed",
        "academic": "Forskningsgruppe i atmosfærefysik, universitet",
        "lobby": "Bilindustriens brancheforening",
        "bot": "Automatisk konto: luftkvalitet hver time",
        "orgs": {
            "ngo": "Ren Luft Nu DK",
            "union": "Transportforbundet",
            "association": "Cykelbyen",
            "party": "Grøn Midte",
            "public_body": "Kommunens Miljøforvaltning",
            "media": "Dagens Blad",
            "company": "RenLuft ApS",
            "foundation": "Fonden Ånde",
            "academic": "Atmosfærelab",
            "lobby": "Bilbranchen",
        },
        "sup": [
            "Jeg har skrevet under på det europæiske borgerinitiativ for ren luft. Skriv også under!",
            "Ren luft er en rettighed. Hver underskrift tæller!",
            "Stand på torvet i dag: 60 underskrifter for ren luft!",
        ],
        "opp": [
            "Dette borgerinitiativ koster arbejdspladser i industrien.",
            "Endnu flere regler fra Bruxelles? Fabrikker vil lukke.",
        ],
        "neu": [
            "EU-Kommissionen har registreret borgerinitiativet for ren luft.",
            "Hvordan fungerer et europæisk borgerinitiativ? Vi forklarer.",
        ],
        "noise": ["Sikken kamp i går!", "Ny opskrift: frikadeller.", "Toget er forsinket igen."],
        "noise_tags": ["Fodbold", "Madlavning", "DSB"],
        "reply": ["Tak, har lige skrevet under!", "Helt enig."],
    },
}


@dataclass(frozen=True)
class InstanceSpec:
    """One demo Mastodon instance: a name, a country flavour and its languages."""

    index: int
    title: str
    description: str
    countries: tuple[str, ...]
    languages: tuple[str, ...]


INSTANCES: tuple[InstanceSpec, ...] = (
    InstanceSpec(0, "Luftpost", "Mastodon für Menschen in Deutschland und Österreich.", ("DE", "AT"), ("de",)),
    InstanceSpec(1, "Agora Libre", "Instance francophone et néerlandophone : France, Belgique, Luxembourg, Pays-Bas.", ("FR", "BE", "LU", "NL"), ("fr", "nl")),
    InstanceSpec(2, "Norden Social", "Ett nordiskt Mastodon: Sverige, Suomi, Danmark.", ("SE", "FI", "DK"), ("sv", "fi", "da", "en")),
    InstanceSpec(3, "Piazza Europa", "A general-purpose server for everyone in Europe.", (), ("en", "it", "es", "pt", "pl", "cs", "hu", "ro", "el")),
)  # fmt: skip

# country -> (weight, languages spoken by demo accounts there)
COUNTRY_WEIGHTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "DE": (14, ("de",)), "AT": (3, ("de",)), "FR": (11, ("fr",)), "BE": (4, ("fr", "nl")),
    "LU": (1, ("fr",)), "NL": (5, ("nl",)), "IT": (9, ("it",)), "ES": (8, ("es",)),
    "PT": (4, ("pt",)), "PL": (7, ("pl",)), "CZ": (3, ("cs",)), "HU": (3, ("hu",)),
    "RO": (4, ("ro",)), "GR": (3, ("el",)), "CY": (1, ("el",)), "IE": (3, ("en",)),
    "MT": (1, ("en",)), "SE": (4, ("sv",)), "FI": (3, ("fi",)), "DK": (3, ("da",)),
}  # fmt: skip
# Places outside the EU: an account there has no EU country (truth None).
NON_EU_PLACES: tuple[tuple[str, str], ...] = (
    ("en", "London"), ("en", "New York"), ("de", "Zürich"), ("fr", "Genève"),
)  # fmt: skip

# kind -> (role, org_type, weight, followers median, followers sigma, activity)
KINDS: dict[str, tuple[str, str | None, float, float, float, float]] = {
    "individual": ("individual", None, 60.0, 150, 1.3, 1.0),
    "mep": ("politician", None, 1.5, 15000, 1.0, 1.6),
    "mp": ("politician", None, 2.5, 6000, 1.1, 1.5),
    "mayor": ("politician", None, 1.5, 4000, 1.1, 1.3),
    "journalist": ("journalist", None, 5.0, 4000, 1.2, 1.5),
    "public_figure": ("public_figure", None, 3.0, 40000, 1.3, 1.2),
    "ngo": ("organization", "ngo", 6.0, 3000, 1.1, 2.0),
    "union": ("organization", "union", 2.5, 2500, 1.0, 1.5),
    "association": ("organization", "association", 4.0, 1200, 1.0, 1.5),
    "party": ("organization", "party", 1.5, 10000, 1.0, 1.5),
    "public_body": ("organization", "public_body", 1.5, 3000, 1.0, 1.0),
    "media": ("organization", "media", 3.0, 60000, 1.2, 3.0),
    "company": ("organization", "company", 2.0, 1500, 1.0, 1.0),
    "lobby": ("organization", "association", 1.5, 2000, 0.8, 1.5),
    "foundation": ("organization", "foundation", 1.5, 2000, 1.0, 1.0),
    "academic": ("organization", "academic", 1.0, 1500, 1.0, 1.0),
    "bot": ("organization", "other", 3.0, 300, 1.0, 4.0),
}
# kind -> (support, neutral, oppose) weights
STANCES: dict[str, tuple[float, float, float]] = {
    "individual": (85, 10, 5), "mep": (70, 15, 15), "mp": (70, 15, 15), "mayor": (75, 15, 10),
    "journalist": (30, 70, 0), "public_figure": (80, 20, 0), "media": (0, 100, 0),
    "lobby": (0, 0, 100), "bot": (0, 100, 0), "company": (80, 20, 0),
}  # fmt: skip
ORG_KINDS = frozenset(k for k, v in KINDS.items() if v[0] == "organization")
# probability that the account gives any location clue
LOCATION_SHARE: dict[str, float] = {"individual": 0.55, "journalist": 0.6, "public_figure": 0.5}

_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
        ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p",
         "r", "s", "s", "t", "y", "f", "ch", "ps", "o", "a", "e", "i", "i", "o", "y", "o",
         "i", "y", "i", "y"],
        strict=True,
    )
)  # fmt: skip


def slug(text: str, sep: str = "_") -> str:
    """ASCII slug of a name in any EU script (Greek transliterated)."""
    out = []
    for ch in text.lower():
        ch = _GREEK.get(ch, ch)
        ch = unicodedata.normalize("NFKD", ch)
        ch = "".join(c for c in ch if c.isascii() and (c.isalnum() or c in " -_'."))
        out.append(ch)
    words = "".join(out).replace("'", "").replace(".", " ").replace("-", " ").split()
    return sep.join(words)


def _b32(rng: random.Random, n: int) -> str:
    v = rng.getrandbits(5 * n)
    return "".join(_B32[(v >> (5 * i)) & 31] for i in range(n))


def tid(ts: datetime, clock_id: int) -> str:
    """An atproto TID (record key) for a timestamp, as the PDS makes them."""
    v = (int(ts.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    return "".join(_B32_SORT[(v >> (5 * i)) & 31] for i in range(12, -1, -1))


def iso_ms(ts: datetime) -> str:
    """Mastodon/Bluesky style timestamp: ``2026-11-20T12:00:00.000Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc


# A post's text as segments, rendered as Mastodon HTML or Bluesky text + facets:
# ("t", text) | ("tag", Tag) | ("m", account index) | ("url", url) | ("emoji", shortcode)
# | ("p",) paragraph break
Segment = tuple[Any, ...]


@dataclass
class Account:
    idx: int
    platform: str  # "mastodon" | "bluesky"
    instance: int | None  # Mastodon home instance index
    username: str  # Mastodon username, or the Bluesky handle
    did: str | None
    display_name: str
    bio: str  # plain text; Mastodon renders it as HTML
    kind: str
    role: str
    org_type: str | None
    language: str
    home_country: str | None  # where the generator put the account
    country: str | None  # truth: None when the profile gives no (EU) location clue
    stance: str
    is_bot: bool
    opt_out: str | None
    discoverable: bool | None = True
    indexable: bool = True
    noindex: bool = False
    labels: list[str] = field(default_factory=list)  # Bluesky self-labels
    fields: list[tuple[str, str, bool]] = field(default_factory=list)  # name, value, verified
    followers: int = 0
    following: int = 0
    statuses_count: int = 0
    created_at: datetime = NOW
    website: str | None = None
    avatar_cid: str = ""
    profile_cid: str = ""
    activity: float = 1.0
    campaign_share: float = 0.6


@dataclass
class Post:
    idx: int
    author: int
    created_at: datetime
    segments: list[Segment]
    lang: str | None
    kind: str  # campaign | keyword | noise | reblog
    stance: str
    tags: list[str] = field(default_factory=list)  # as written in the text
    record_tags: list[str] = field(default_factory=list)  # Bluesky tags not in the text
    reply_to: int | None = None
    quote_of: int | None = None
    reblog_of: int | None = None  # Mastodon reblog wrapper: index of the original
    link: str | None = None  # card / external embed target
    card_title: str = ""
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    spoiler: str = ""
    copies: dict[int, int] = field(default_factory=dict)  # Mastodon: instance -> local id
    rkey: str = ""
    cid: str = ""

    @property
    def platform_tags(self) -> set[str]:
        return {t.lower() for t in (*self.tags, *self.record_tags)}


class World:
    """The generated world; see :func:`build_world`."""

    now: datetime = NOW

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.instances: tuple[InstanceSpec, ...] = INSTANCES
        self.accounts: list[Account] = []
        self.posts: list[Post] = []  # original posts (no reblog wrappers)
        self.reblogs: list[Post] = []  # Mastodon reblog wrappers, index = len(posts) + j
        self.cut: datetime = NOW
        self.advanced = False
        # Mastodon: per instance, tag -> ascending local ids, id -> status key
        self.tag_ids: list[dict[str, list[int]]] = []
        self.status_by_id: list[dict[int, int]] = []
        self.account_by_id: list[dict[int, int]] = []
        self.account_by_name: list[dict[str, int]] = []  # per instance: acct -> index
        # Mastodon: original post -> [(reblog wrapper id, wrapper key)], newest first
        self.reblogged_by: dict[int, list[tuple[int, int]]] = {}
        # Bluesky: tag -> post indices newest first (+ negated times for bisect)
        self.bsky_tag_index: dict[str, list[int]] = {}
        self.bsky_tag_negtimes: dict[str, list[float]] = {}
        self.bsky_all: list[int] = []
        self.bsky_all_negtimes: list[float] = []
        self.bsky_by_did: dict[str, int] = {}
        self.bsky_by_handle: dict[str, int] = {}
        self.bsky_by_rkey: dict[tuple[str, str], int] = {}

    # -- statuses -----------------------------------------------------------------
    def status(self, key: int) -> Post:
        """A post (``key < len(posts)``) or a reblog wrapper."""
        n = len(self.posts)
        return self.posts[key] if key < n else self.reblogs[key - n]

    def is_released(self, post: Post) -> bool:
        return self.advanced or post.created_at <= self.cut

    def advance(self) -> int:
        """Release the held-back posts; returns how many became visible."""
        if self.advanced:
            return 0
        self.advanced = True
        return sum(1 for p in self.posts if p.created_at > self.cut)

    def account_local_id(self, acc: Account, instance: int) -> int:
        """Snowflake-like id of a Mastodon account as known to ``instance``."""
        ms = int(acc.created_at.timestamp() * 1000)
        if acc.instance != instance:
            ms += 86_400_000 + instance * 37_000  # remote accounts arrive later
        return (ms << 16) | acc.idx

    # -- identities as the crawler computes them -------------------------------------
    @staticmethod
    def actor_uri(base_url: str, username: str) -> str:
        return f"{base_url.rstrip('/')}/users/{username}"

    def account_id(self, acc: Account, mastodon_urls: Sequence[str]) -> str:
        if acc.platform == "mastodon":
            assert acc.instance is not None
            return "mastodon:" + self.actor_uri(mastodon_urls[acc.instance], acc.username)
        return "bluesky:" + str(acc.did)

    def handle(self, acc: Account, mastodon_urls: Sequence[str]) -> str:
        if acc.platform == "mastodon":
            assert acc.instance is not None
            return f"{acc.username}@{host_of(mastodon_urls[acc.instance])}"
        return acc.username

    def truth(self, mastodon_urls: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Ground truth per account, with ``account_id`` for the given instance URLs."""
        urls = list(mastodon_urls) if mastodon_urls else default_mastodon_urls()
        out = []
        for a in self.accounts:
            out.append(
                {
                    "platform": a.platform,
                    "account_id": self.account_id(a, urls),
                    "handle": self.handle(a, urls),
                    "display_name": a.display_name,
                    "role": a.role,
                    "org_type": a.org_type,
                    "kind": a.kind,
                    "country": a.country,
                    "home_country": a.home_country,
                    "language": a.language,
                    "stance": a.stance,
                    "opted_out": a.opt_out is not None,
                    "opt_out_reason": a.opt_out,
                    "is_bot": a.is_bot,
                    "followers_count": a.followers,
                    "campaign_posts": 0,
                }
            )
        counts = [0] * len(self.accounts)
        for p in self.posts:
            if p.kind in ("campaign", "keyword"):
                counts[p.author] += 1
        for row, n in zip(out, counts, strict=True):
            row["campaign_posts"] = n
        return out

    def summary(self) -> dict[str, Any]:
        langs = {p.lang for p in self.posts if p.lang}
        countries = {a.home_country for a in self.accounts if a.home_country}
        return {
            "accounts": len(self.accounts),
            "posts": len(self.posts),
            "reblogs": len(self.reblogs),
            "languages": sorted(langs),
            "countries": sorted(countries),
            "held_back": sum(1 for p in self.posts if p.created_at > self.cut),
        }


DEFAULT_PORTS: tuple[int, ...] = (39401, 39402, 39403, 39404, 39405)


def default_mastodon_urls() -> list[str]:
    return [f"http://127.0.0.1:{p}" for p in DEFAULT_PORTS[: len(INSTANCES)]]


class _Builder:
    def __init__(self, seed: int, n_accounts: int, n_posts: int) -> None:
        self.rng = random.Random(seed)
        self.world = World(seed)
        self.n_accounts = n_accounts
        self.n_posts = n_posts
        self.used_names: set[tuple[str, str]] = set()  # (platform/instance, username)
        self.org_name_count: dict[tuple[str, str], int] = {}

    # -- accounts ---------------------------------------------------------------------
    def build_accounts(self) -> None:
        rng = self.rng
        countries = list(COUNTRY_WEIGHTS)
        cweights = [COUNTRY_WEIGHTS[c][0] for c in countries]
        kinds = list(KINDS)
        kweights = [KINDS[k][2] for k in kinds]
        for i in range(self.n_accounts):
            non_eu = rng.random() < 0.015
            if non_eu:
                lang, place = rng.choice(NON_EU_PLACES)
                country = None
            else:
                country = rng.choices(countries, cweights)[0]
                lang = rng.choice(COUNTRY_WEIGHTS[country][1])
                place = None
            kind = "individual" if non_eu else rng.choices(kinds, kweights)[0]
            self.world.accounts.append(self.make_account(i, kind, lang, country, place))

    def make_account(
        self, i: int, kind: str, lang: str, country: str | None, place: str | None
    ) -> Account:
        rng = self.rng
        L = LANGS[lang]
        role, org_type, _, median, sigma, activity = KINDS[kind]
        platform = "mastodon" if rng.random() < 0.6 else "bluesky"
        instance: int | None = None
        if platform == "mastodon":
            instance = 3
            for spec in INSTANCES:
                if country in spec.countries:
                    instance = spec.index
            if rng.random() < 0.15:
                instance = 3
        if country is not None:
            cname, flag, cities = L["countries"][country]
            city = rng.choice(cities)
        else:
            cname, flag, city = "", "", place or ""
        st = STANCES.get(kind, (90, 10, 0))
        stance = rng.choices(["supports", "neutral", "opposes"], st)[0]
        is_bot = kind == "bot"

        # name
        is_org = kind in ORG_KINDS
        loc_in_name = False
        if is_org:
            base = L["orgs"]["company" if kind == "company" else kind] if kind != "bot" else None
            if base is None:
                base = {"de": "Luftmessnetz", "fr": "Capteur Air", "en": "AirWatch"}.get(
                    lang, "AirWatch"
                )
                display = f"{base} {city}".strip()
                loc_in_name = bool(city)
            else:
                n = self.org_name_count.get((lang, base), 0)
                self.org_name_count[(lang, base)] = n + 1
                display = base
                if n > 0 and city:
                    m = self.org_name_count.get((lang, f"{base} {city}"), 0)
                    self.org_name_count[(lang, f"{base} {city}")] = m + 1
                    display = f"{base} {city}" + (f" {m + 1}" if m else "")
                    loc_in_name = True
                elif n > 0:
                    display = f"{base} {n + 1}"
        else:
            first, last = rng.choice(L["first"]), rng.choice(L["last"])
            display = f"{first} {last}"
            if kind == "individual" and rng.random() < 0.25:
                display = first
            if rng.random() < 0.03:
                display = (
                    display.replace(" ", " \u200b", 1) if " " in display else display + "\u200b"
                )
            if rng.random() < 0.06:
                display += " 🚲" if rng.random() < 0.5 else " 🌱"
        flag_in_name = country is not None and rng.random() < 0.05
        if flag_in_name:
            display += " " + flag
        eu_emoji = platform == "mastodon" and rng.random() < 0.04
        if eu_emoji:
            display += " :eu_flag:"

        username = self.unique_username(display if not is_org else display, platform, instance)
        # bio
        media = L["orgs"]["media"]
        party = L["orgs"]["party"]
        if kind == "individual":
            parts = [rng.choice(L["ind"])]
            role_text = ". ".join(parts)
        else:
            role_text = L[kind] if kind in L else L["ind"][0]
        uses_city = "{city}" in role_text or "{country}" in role_text
        if uses_city and country is None:
            role_text = (
                role_text.replace(" {city}", "")
                .replace("{city}", "")
                .replace(" {country}", "")
                .replace("{country}", "")
            )
            uses_city = False
        role_text = role_text.format(city=city, country=cname, media=media, party=party)
        loc_share = LOCATION_SHARE.get(kind, 0.85 if kind != "bot" else 0.9)
        has_loc = uses_city or loc_in_name or flag_in_name or rng.random() < loc_share
        loc_where = "none"
        loc_text = ""
        if has_loc and not uses_city and city:
            loc_text = rng.choice(L["loc"]).format(city=city, country=cname or city, flag=flag)
            if country is None:
                loc_text = loc_text.replace("  ", " ").strip()
            r = rng.random()
            loc_where = (
                "bio" if (platform == "bluesky" or r < 0.6) else ("field" if r < 0.85 else "both")
            )
        bio_parts = [role_text]
        if loc_where in ("bio", "both"):
            bio_parts.append(loc_text)
        if stance == "supports" and rng.random() < 0.12:
            bio_parts.append(f"#{DEMO_HASHTAGS[0]}")
        opt_out: str | None = None
        discoverable: bool | None = True
        indexable, noindex = True, False
        labels: list[str] = []
        r = rng.random()
        if platform == "mastodon":
            if r < 0.02:
                discoverable, opt_out = False, "discoverable=false"
            elif r < 0.04:
                indexable, opt_out = False, "indexable=false"
            elif r < 0.055:
                noindex, opt_out = True, "noindex=true"
            elif r < 0.07:
                bio_parts.append("#nobot")
                opt_out = "#nobot in profile"
            elif r < 0.08:
                bio_parts.append("#NoIndex")
                opt_out = "#noindex in profile"
            elif r < 0.12:
                discoverable = None  # not published: not an opt-out
        else:
            if r < 0.03:
                labels.append("!no-unauthenticated")
                opt_out = "label !no-unauthenticated"
            elif r < 0.045:
                bio_parts.append("#nobot")
                opt_out = "#nobot in profile"
        if is_bot:
            labels.append("bot") if platform == "bluesky" else None
        sep = rng.choice([". ", " · ", " | ", "\n"])
        bio = sep.join(p.rstrip(".") if sep != ". " else p.rstrip(".") for p in bio_parts if p)
        if rng.random() < 0.5 and not bio.endswith(("!", ".")) and sep == ". ":
            bio += "."
        # fields (Mastodon)
        fields: list[tuple[str, str, bool]] = []
        website = None
        if is_org or rng.random() < 0.35:
            website = f"https://{slug(display, '-') or username}.example/"
        if platform == "mastodon":
            if website and rng.random() < 0.8:
                fields.append((L["field_web"], website, rng.random() < 0.5))
            if loc_where in ("field", "both"):
                fields.append((L["field_loc"], loc_text.removeprefix("📍 "), False))
            if lang == "en" and not is_org and rng.random() < 0.3:
                fields.append(("Pronouns", rng.choice(["she/her", "he/him", "they/them"]), False))
        truth_country = country if (has_loc and country is not None) else None
        followers = max(0, int(rng.lognormvariate(math.log(median), sigma)))
        created = NOW - timedelta(days=rng.uniform(90, 3000))
        created = created.replace(hour=0, minute=0, second=0, microsecond=0)
        acc = Account(
            idx=i,
            platform=platform,
            instance=instance,
            username=username,
            did=("did:plc:" + _b32(rng, 24)) if platform == "bluesky" else None,
            display_name=display,
            bio=bio,
            kind=kind,
            role=role,
            org_type=org_type,
            language=lang,
            home_country=country,
            country=truth_country,
            stance=stance,
            is_bot=is_bot,
            opt_out=opt_out,
            discoverable=discoverable,
            indexable=indexable,
            noindex=noindex,
            labels=labels,
            fields=fields,
            followers=followers,
            following=int(rng.lognormvariate(math.log(200), 1.0)),
            created_at=created,
            website=website,
            avatar_cid="bafkrei" + _b32(rng, 52),
            profile_cid="bafyrei" + _b32(rng, 52),
            activity=rng.lognormvariate(0, 0.9) * activity,
            campaign_share=0.5 if kind in ("individual", "media", "bot") else 0.7,
        )
        return acc

    def unique_username(self, display: str, platform: str, instance: int | None) -> str:
        base = slug(display.replace(":eu_flag:", ""), "_" if platform == "mastodon" else "-")
        base = base[:24].strip("_-") or "user"
        rng = self.rng
        if platform == "mastodon" and rng.random() < 0.5:
            base = base.replace("_", "", 1) if rng.random() < 0.5 else base.split("_")[0]
        scope = f"m{instance}" if platform == "mastodon" else "b"
        name = base
        n = 1
        while (scope, name.lower()) in self.used_names:
            n += 1
            name = f"{base}{n}" if platform == "mastodon" else f"{base}{n}"
        self.used_names.add((scope, name.lower()))
        return name if platform == "mastodon" else f"{name}.bsky.social"

    # -- posts ------------------------------------------------------------------------
    def tag_variant(self, tag: str) -> str:
        r = self.rng.random()
        if r < 0.6:
            return tag
        if r < 0.8:
            return tag.lower()
        if r < 0.85:
            return tag.upper()
        return tag[:-1] + tag[-1].lower() if tag[-1].isupper() else tag.capitalize()

    def campaign_tags(self) -> list[str]:
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            tags = [DEMO_HASHTAGS[0]]
        elif r < 0.8:
            tags = [DEMO_HASHTAGS[1]]
        else:
            tags = list(DEMO_HASHTAGS)
        return [self.tag_variant(t) for t in tags]

    def build_posts(self) -> None:
        rng, w = self.rng, self.world
        accounts = w.accounts
        n = self.n_posts
        span = SPAN_DAYS * 86400.0
        # campaign momentum: more posts towards the end of the window
        times = sorted(NOW - timedelta(seconds=span * (1 - rng.random() ** 0.8)) for _ in range(n))
        authors = list(range(len(accounts)))
        if n > len(authors):
            weights = [a.activity for a in accounts]
            authors += rng.choices(range(len(accounts)), weights, k=n - len(authors))
        authors = authors[:n]
        rng.shuffle(authors)
        recent: dict[str, list[int]] = {"mastodon": [], "bluesky": []}
        popular = {
            p: [a.idx for a in accounts if a.platform == p and a.followers > 3000]
            or [a.idx for a in accounts if a.platform == p]
            for p in ("mastodon", "bluesky")
        }
        seen_author: set[int] = set()
        for idx, (ts, author) in enumerate(zip(times, authors, strict=True)):
            acc = accounts[author]
            first = author not in seen_author
            seen_author.add(author)
            r = rng.random()
            if (first and rng.random() < 0.9) or r < acc.campaign_share:
                kind = "keyword" if rng.random() < 0.07 else "campaign"
            else:
                kind = "noise"
            post = self.make_post(idx, acc, ts, kind, recent[acc.platform], popular[acc.platform])
            w.posts.append(post)
            if kind == "campaign":
                recent[acc.platform].append(idx)
                if len(recent[acc.platform]) > 400:
                    del recent[acc.platform][:100]
        self.add_reblogs()

    def make_post(
        self, idx: int, acc: Account, ts: datetime, kind: str, recent: list[int], popular: list[int]
    ) -> Post:
        rng, w = self.rng, self.world
        lang = acc.language
        if lang != "en" and rng.random() < 0.1:
            lang = "en"
        L = LANGS[lang]
        masto = acc.platform == "mastodon"
        segs: list[Segment] = []
        tags: list[str] = []
        record_tags: list[str] = []
        stance = acc.stance
        reply_to = quote_of = None
        link: str | None = None
        card_title = ""
        if kind == "noise":
            segs.append(("t", rng.choice(L["noise"]) + " "))
            nt = (
                rng.choice(L["noise_tags"])
                if rng.random() < 0.7
                else rng.choice(GENERIC_NOISE_TAGS)
            )
            segs.append(("tag", nt))
            tags.append(nt)
            stance = "neutral"
        elif kind == "keyword":
            kw = L.get("kw", "clean air initiative")
            sentence = rng.choice(L["sup" if stance != "opposes" else "opp"])
            segs.append(("t", f"{kw[0].upper()}{kw[1:]}: {sentence}"))
            if not masto and rng.random() < 0.4:
                record_tags.append(DEMO_HASHTAGS[0])
        else:
            if recent and rng.random() < 0.18:
                parent = w.posts[rng.choice(recent[-300:])]
                if parent.author != acc.idx:
                    reply_to = parent.idx
            if reply_to is None and recent and rng.random() < 0.05:
                q = w.posts[rng.choice(recent[-300:])]
                if q.author != acc.idx:
                    quote_of = q.idx
            key = {"supports": "sup", "opposes": "opp", "neutral": "neu"}[stance]
            if acc.is_bot:
                sentence = {
                    "de": "Neue Unterschriften gezählt:",
                    "fr": "Nouvelles signatures :",
                }.get(lang, "New signatures counted:") + f" {rng.randint(50, 5000)}"
                lang = lang if lang in ("de", "fr") else "en"
            elif reply_to is not None:
                sentence = rng.choice(L["reply"])
            else:
                sentence = rng.choice(L[key])
            if reply_to is not None and masto:
                segs.append(("m", w.posts[reply_to].author))
                segs.append(("t", " "))
            ctags = self.campaign_tags() if (reply_to is None or rng.random() < 0.7) else []
            lead_tag = bool(ctags) and rng.random() < 0.15
            if lead_tag:
                segs.append(("tag", ctags[0]))
                segs.append(("t", ": "))
            segs.append(("t", sentence))
            rest = ctags[1:] if lead_tag else ctags
            if rest:
                segs.append(("t", " "))
                if rng.random() < 0.2:
                    segs.append(("emoji", EU_FLAG) if masto else ("t", "🇪🇺"))
                    segs.append(("t", " "))
                for j, t in enumerate(rest):
                    if j:
                        segs.append(("t", " "))
                    segs.append(("tag", t))
            tags.extend(ctags)
            if rng.random() < 0.1:
                nt = rng.choice(L["noise_tags"] + ["Europa", "EU"])
                segs.append(("t", " "))
                segs.append(("tag", nt))
                tags.append(nt)
            if rng.random() < 0.15:
                target = rng.choice(popular)
                if target != acc.idx:
                    segs.append(("t", " cc "))
                    segs.append(("m", target))
            if rng.random() < 0.3:
                if stance == "neutral" and acc.kind in ("media", "journalist"):
                    link = f"https://{slug(LANGS[acc.language]['orgs']['media'], '-')}.example/{ts:%Y/%m}/clean-air-initiative-{idx}"
                    card_title = rng.choice(L["neu"])
                elif acc.website and rng.random() < 0.3:
                    link = acc.website + "clean-air"
                    card_title = acc.display_name
                else:
                    link = f"{CAMPAIGN_URL}?lang={lang}"
                    card_title = "Clean Air for All – European Citizens' Initiative"
                segs.append(("p",) if masto else ("t", "\n\n"))
                segs.append(("url", link))
        post = Post(
            idx=idx,
            author=acc.idx,
            created_at=ts,
            segments=segs,
            lang=lang if (masto or rng.random() > 0.05) else None,
            kind=kind,
            stance=stance,
            tags=tags,
            record_tags=record_tags,
            reply_to=reply_to,
            quote_of=quote_of,
            link=link,
            card_title=card_title,
        )
        scale = max(1.0, acc.followers) ** 0.5
        post.likes = int(rng.lognormvariate(math.log(1 + scale * 0.5), 1.0))
        post.reposts = int(post.likes * rng.random() * 0.4)
        if masto and rng.random() < 0.03:
            post.spoiler = {"de": "Politik", "fr": "Politique"}.get(lang, "Politics")
        if not masto:
            post.rkey = tid(ts, rng.randrange(1024))
            post.cid = "bafyrei" + _b32(rng, 52)
        return post

    def add_reblogs(self) -> None:
        rng, w = self.rng, self.world
        masto_accounts = [a.idx for a in w.accounts if a.platform == "mastodon"]
        originals = [
            p
            for p in w.posts
            if p.kind == "campaign" and w.accounts[p.author].platform == "mastodon"
        ]
        for p in originals:
            if rng.random() >= 0.12:
                continue
            who = rng.choice(masto_accounts)
            if who == p.author:
                continue
            ts = p.created_at + timedelta(seconds=rng.uniform(60, 2 * 86400))
            if ts >= NOW:
                continue
            key = len(w.posts) + len(w.reblogs)
            w.reblogs.append(
                Post(
                    idx=key,
                    author=who,
                    created_at=ts,
                    segments=[],
                    lang=None,
                    kind="reblog",
                    stance=p.stance,
                    reblog_of=p.idx,
                )
            )
            p.reposts += 1
        w.reblogs.sort(key=lambda r: r.created_at)
        for j, r in enumerate(w.reblogs):
            r.idx = len(w.posts) + j

    # -- derived counts, federation, indexes ------------------------------------------
    def finish(self) -> None:
        rng, w = self.rng, self.world
        if len(w.posts) + len(w.reblogs) >= 1 << 16:
            raise ValueError("demo world too large for 16-bit status sequence numbers")
        for p in w.posts:
            if p.reply_to is not None:
                w.posts[p.reply_to].replies += 1
            if p.quote_of is not None:
                w.posts[p.quote_of].quotes += 1
        for a in w.accounts:
            a.statuses_count = 0
        for p in w.posts:
            w.accounts[p.author].statuses_count += 1
        for a in w.accounts:
            a.statuses_count += int(rng.lognormvariate(math.log(50), 1.2))
        times = sorted(p.created_at for p in w.posts)
        w.cut = times[min(len(times) - 1, int(len(times) * RELEASED_SHARE))]
        # Mastodon federation: home copy, ~half also on other instances
        n_inst = len(INSTANCES)

        def copy_to(p: Post, inst: int) -> None:
            if inst in p.copies:
                return
            ms = int(p.created_at.timestamp() * 1000)
            home = w.accounts[p.author].instance
            if inst != home:
                ms += rng.randint(400, 90_000)
            p.copies[inst] = (ms << 16) | p.idx
            for dep in (p.reply_to, p.quote_of, p.reblog_of):
                if dep is not None:
                    copy_to(w.posts[dep], inst)

        for p in [*w.posts, *w.reblogs]:
            acc = w.accounts[p.author]
            if acc.platform != "mastodon":
                continue
            assert acc.instance is not None
            copy_to(p, acc.instance)
            if p.kind != "reblog" and rng.random() < 0.5:
                others = [i for i in range(n_inst) if i != acc.instance]
                for inst in rng.sample(others, k=1 if rng.random() < 0.7 else 2):
                    copy_to(p, inst)
        # Mastodon indexes
        w.tag_ids = [{} for _ in range(n_inst)]
        w.status_by_id = [{} for _ in range(n_inst)]
        for p in [*w.posts, *w.reblogs]:
            for inst, lid in p.copies.items():
                w.status_by_id[inst][lid] = p.idx
                if p.reblog_of is not None:
                    continue  # as on Mastodon: a reblog carries no tags of its own
                for t in {t.lower() for t in p.tags}:
                    w.tag_ids[inst].setdefault(t, []).append(lid)
        # who reblogged what: (wrapper id on the reblogger's server, wrapper key), newest
        # first, as /api/v1/statuses/:id/reblogged_by pages them
        w.reblogged_by = {}
        for r in w.reblogs:
            assert r.reblog_of is not None
            home = w.accounts[r.author].instance or 0
            w.reblogged_by.setdefault(r.reblog_of, []).append((r.copies[home], r.idx))
        for lst in w.reblogged_by.values():
            lst.sort(reverse=True)
        for per in w.tag_ids:
            for ids in per.values():
                ids.sort()
        w.account_by_id = [{} for _ in range(n_inst)]
        w.account_by_name = [{} for _ in range(n_inst)]
        for a in w.accounts:
            if a.platform != "mastodon":
                w.bsky_by_did[str(a.did)] = a.idx
                w.bsky_by_handle[a.username] = a.idx
                continue
            for inst in range(n_inst):
                w.account_by_id[inst][w.account_local_id(a, inst)] = a.idx
            w.account_by_name[a.instance or 0][a.username.lower()] = a.idx
        # Bluesky indexes, newest first
        bsky = [p for p in w.posts if w.accounts[p.author].platform == "bluesky"]
        bsky.sort(key=lambda p: p.created_at, reverse=True)
        w.bsky_all = [p.idx for p in bsky]
        w.bsky_all_negtimes = [-p.created_at.timestamp() for p in bsky]
        for p in bsky:
            for t in p.platform_tags:
                w.bsky_tag_index.setdefault(t, []).append(p.idx)
            w.bsky_by_rkey[(str(w.accounts[p.author].did), p.rkey)] = p.idx
        for t, ids in w.bsky_tag_index.items():
            w.bsky_tag_negtimes[t] = [-w.posts[i].created_at.timestamp() for i in ids]


def build_world(seed: int = 2026, n_accounts: int = 3000, n_posts: int = 30000) -> World:
    """Generate the demo world (deterministic for a seed; no wall clock)."""
    if n_accounts < 10 or n_posts < n_accounts:
        raise ValueError("need at least 10 accounts and one post per account")
    b = _Builder(seed, n_accounts, n_posts)
    b.build_accounts()
    b.build_posts()
    b.finish()
    return b.world


def newest_first_window(
    negtimes: list[float], since: datetime | None, until: datetime | None, cut: datetime | None
) -> tuple[int, int]:
    """Index range [lo, hi) of a newest-first list whose times fall in the window.

    ``since`` is inclusive, ``until`` and the release ``cut`` bound from above.
    """
    lo, hi = 0, len(negtimes)
    upper = None
    if until is not None:
        upper = until.timestamp()
        lo = max(lo, bisect.bisect_right(negtimes, -upper))
    if cut is not None:
        # posts newer than the cut are held back
        lo = max(lo, bisect.bisect_left(negtimes, -cut.timestamp()))
    if since is not None:
        hi = min(hi, bisect.bisect_right(negtimes, -since.timestamp()))
    return lo, max(lo, hi)
