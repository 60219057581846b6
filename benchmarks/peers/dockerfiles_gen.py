"""One realistic Dockerfile per call, and the facts it was built to have (the benchmark's ground truth).

The truth keys describe the final image as written, not a tool's opinion: ``floating_base`` (some FROM
names an external image by ``:latest`` or without a tag), ``apt_lists_kept`` (an ``apt-get update`` in the
final image's chain whose RUN does not remove /var/lib/apt/lists), ``runs_as_root`` (no USER, or USER
root, at the end), ``no_healthcheck``, ``secret_in_env`` (an ENV with a secret-looking name and a value),
``apt_recommends`` (``apt-get install`` without ``--no-install-recommends`` in the final image),
``pip_cache_kept``, ``shell_form_cmd``.
"""

from __future__ import annotations

import random
from typing import Any

# language -> (builder image, final images by family, default port, command)
LANGUAGES: dict[str, dict[str, Any]] = {
    "python": {
        "builder": ("python", "3.12"),
        "finals": [("python", "3.12-slim", "debian"), ("python", "3.11-slim-bookworm", "debian"),
                   ("python", "3.12-alpine", "alpine"), ("python", "3.12", "debian")],
        "port": 8000,
        "cmd": ["python", "-m", "app"],
    },
    "node": {
        "builder": ("node", "20"),
        "finals": [("node", "20-alpine", "alpine"), ("node", "20-bookworm-slim", "debian"), ("node", "20", "debian")],
        "port": 3000,
        "cmd": ["node", "dist/server.js"],
    },
    "go": {
        "builder": ("golang", "1.22"),
        "finals": [("gcr.io/distroless/static-debian12", "nonroot", "none"), ("alpine", "3.19", "alpine"),
                   ("debian", "bookworm-slim", "debian")],
        "port": 8080,
        "cmd": ["/usr/local/bin/server"],
    },
    "rust": {
        "builder": ("rust", "1.78"),
        "finals": [("debian", "bookworm-slim", "debian"), ("ubuntu", "22.04", "debian"), ("alpine", "3.20", "alpine")],
        "port": 8080,
        "cmd": ["/usr/local/bin/server"],
    },
    "java": {
        "builder": ("maven", "3.9-eclipse-temurin-21"),
        "finals": [("eclipse-temurin", "21-jre", "debian"), ("eclipse-temurin", "21-jre-alpine", "alpine")],
        "port": 8080,
        "cmd": ["java", "-jar", "/app/app.jar"],
    },
}
APT_PACKAGES = ["ca-certificates", "curl", "tzdata", "libpq5", "libssl3", "tini", "gnupg", "netcat-openbsd"]
APK_PACKAGES = ["ca-certificates", "curl", "tzdata", "libpq", "tini", "bash"]
SECRET_ENVS = ["API_TOKEN", "DATABASE_PASSWORD", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "STRIPE_SECRET_KEY"]


def _ref(rng: random.Random, image: str, tag: str, pin: str) -> str:
    if pin == "latest":
        return f"{image}:latest"
    if pin == "none":
        return image
    if pin == "digest":
        return f"{image}:{tag}@sha256:{rng.getrandbits(256):064x}"
    return f"{image}:{tag}"


def _pin(rng: random.Random) -> str:
    return rng.choices(["tag", "digest", "latest", "none"], weights=[55, 20, 13, 12])[0]


def _apt(rng: random.Random, packages: list[str], recommends: bool, clean: bool, split: bool) -> list[str]:
    flag = "" if recommends else " --no-install-recommends"
    pinned = rng.random() < 0.3
    names = [f"{p}=*" if pinned and p == "curl" else p for p in packages]
    if split:  # the update in its own layer: its lists stay there whatever the next RUN removes
        return ["RUN apt-get update", f"RUN apt-get install -y{flag} {' '.join(names)}"
                + (" && rm -rf /var/lib/apt/lists/*" if clean else "")]
    lines = ["RUN apt-get update \\", f"    && apt-get install -y{flag} \\"]
    lines += [f"       {p} \\" for p in names]
    lines.append("    && rm -rf /var/lib/apt/lists/*" if clean else "    && apt-get clean")
    return lines


def _packages(rng: random.Random, family: str, planted: dict[str, bool]) -> list[str]:
    if family == "debian" and rng.random() < 0.75:
        recommends = rng.random() < 0.35
        clean = rng.random() < 0.55
        split = rng.random() < 0.12
        planted["apt_recommends"] = recommends
        planted["apt_lists_kept"] = split or not clean
        return _apt(rng, rng.sample(APT_PACKAGES, rng.randint(1, 4)), recommends, clean, split)
    if family == "alpine" and rng.random() < 0.7:
        cache = "--no-cache " if rng.random() < 0.6 else ""
        return [f"RUN apk add {cache}{' '.join(rng.sample(APK_PACKAGES, rng.randint(1, 3)))}"]
    return []


def _builder(rng: random.Random, lang: str, spec: dict[str, Any], pin: str) -> list[str]:
    image, tag = spec["builder"]
    out = [f"FROM {_ref(rng, image, tag, pin)} AS build", "WORKDIR /src"]
    if lang == "python":
        out += ["COPY requirements.txt .", "RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt"]
    elif lang == "node":
        out += ["COPY package.json package-lock.json ./", "RUN npm ci", "COPY . .", "RUN npm run build"]
    elif lang == "go":
        out += ["COPY go.mod go.sum ./", "RUN go mod download", "COPY . .",
                "RUN CGO_ENABLED=0 go build -trimpath -o /out/server ./cmd/server"]
    elif lang == "rust":
        if rng.random() < 0.3:
            out.append("RUN curl -fsSL https://sh.rustup.rs | sh -s -- -y --profile minimal")
        out += ["COPY . .", "RUN cargo build --release --locked && cp target/release/server /out-server"]
    else:
        out += ["COPY pom.xml .", "RUN mvn -B dependency:go-offline", "COPY src ./src",
                "RUN mvn -B package -DskipTests"]
    return out


def _artifact(lang: str) -> list[str]:
    return {
        "python": ["COPY --from=build /wheels /wheels",
                   "RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels"],
        "node": ["COPY --from=build /src/node_modules ./node_modules", "COPY --from=build /src/dist ./dist"],
        "go": ["COPY --from=build /out/server /usr/local/bin/server"],
        "rust": ["COPY --from=build /out-server /usr/local/bin/server"],
        "java": ["COPY --from=build /src/target/app.jar /app/app.jar"],
    }[lang]


def _single_stage_app(rng: random.Random, lang: str, planted: dict[str, bool]) -> list[str]:
    if lang == "python":
        cache = rng.random() < 0.4
        planted["pip_cache_kept"] = cache
        pip = "pip install" + ("" if cache else " --no-cache-dir")
        return ["COPY requirements.txt .", f"RUN {pip} -r requirements.txt"]
    if lang == "node":
        return ["COPY package.json package-lock.json ./", "RUN npm ci --omit=dev && npm cache clean --force"]
    return []


def _user(rng: random.Random, family: str, planted: dict[str, bool]) -> list[str]:
    mode = rng.choices(["none", "named", "uid", "root"], weights=[35, 40, 15, 10])[0]
    planted["runs_as_root"] = mode in {"none", "root"}
    if mode == "none":
        return []
    if mode == "root":
        return ["USER root"]
    if mode == "uid" or family == "none":
        return ["USER 10001:10001"]
    if family == "alpine":
        return ["RUN addgroup -S app && adduser -S -G app app", "USER app"]
    return ["RUN groupadd --system app && useradd --system --gid app --no-log-init app", "USER app"]


def dockerfile(rng: random.Random, index: int) -> tuple[str, dict[str, bool], bool]:
    """The text, the truth planted in it, and whether its folder gets a .dockerignore."""
    lang = rng.choice(list(LANGUAGES))
    spec = LANGUAGES[lang]
    image, tag, family = rng.choice(spec["finals"])
    multi = lang in {"go", "rust", "java"} or rng.random() < 0.4
    planted = dict.fromkeys(
        ["floating_base", "apt_lists_kept", "apt_recommends", "runs_as_root", "no_healthcheck",
         "secret_in_env", "pip_cache_kept", "shell_form_cmd"], False)
    lines: list[str] = []
    if rng.random() < 0.3:
        lines.append("# syntax=docker/dockerfile:1")
    lines.append(f"# service {index:03d} ({lang})")
    pins = []
    if multi:
        pins.append(_pin(rng))
        lines += [*_builder(rng, lang, spec, pins[-1]), ""]
    pins.append("tag" if image.startswith("gcr.io") and rng.random() < 0.5 else _pin(rng))
    planted["floating_base"] = any(p in {"latest", "none"} for p in pins)
    lines.append(f"FROM {_ref(rng, image, tag, pins[-1])}" + (" AS runtime" if multi and rng.random() < 0.5 else ""))
    lines.append(f'LABEL org.opencontainers.image.source="https://git.example.com/platform/svc-{index:03d}"')
    env = ["PORT=" + str(spec["port"])]
    if lang == "python":
        env.append("PYTHONUNBUFFERED=1")
    if rng.random() < 0.12:
        env.append(f"{rng.choice(SECRET_ENVS)}={rng.getrandbits(80):020x}")
        planted["secret_in_env"] = True
    lines.append("ENV " + " ".join(env))
    if family != "none":
        lines += _packages(rng, family, planted)
    lines.append("WORKDIR /app")
    if multi:
        lines += _artifact(lang)
    else:
        lines += _single_stage_app(rng, lang, planted)
        lines.append("COPY . .")
    dockerignore = rng.random() < 0.5
    if rng.random() < 0.05:
        lines.append("ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini")
    lines += _user(rng, family, planted)
    lines.append(f"EXPOSE {spec['port']}")
    if rng.random() < 0.45 and family != "none":
        check = f"curl -fsS http://localhost:{spec['port']}/healthz || exit 1"
        lines.append(f"HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD {check}")
    else:
        planted["no_healthcheck"] = True
    if rng.random() < 0.25:
        planted["shell_form_cmd"] = True
        lines.append("CMD " + " ".join(spec["cmd"]))
    else:
        lines.append("CMD [" + ", ".join(f'"{c}"' for c in spec["cmd"]) + "]")
    return "\n".join(lines) + "\n", planted, dockerignore
