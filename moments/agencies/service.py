"""The service's own routes: liveness, readiness (the database answers) and the problem catalogue."""
from __future__ import annotations

from typing import Dict, List

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from .errors import CATALOGUE, Problem, problems

router = APIRouter(tags=["Service"])


class ProblemType(BaseModel):
    code: str
    status: int
    title: str


@router.get("/healthz", summary="Liveness")
def healthz() -> Dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers", responses=problems(503))
def readyz(request: Request) -> Dict[str, str]:
    engine = request.app.state.engine
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ready", "database": engine.dialect.name}


@router.get("/problems", response_model=List[ProblemType], summary="Every problem code")
def problem_catalogue() -> List[ProblemType]:
    return [ProblemType(code=c, status=s, title=t) for c, (s, t) in CATALOGUE.items()]


@router.get("/problems/{code}", response_model=ProblemType, responses=problems(404), summary="One problem code")
def problem_type(code: str) -> ProblemType:
    if code not in CATALOGUE:
        raise Problem("not_found", "No such problem code.")
    status, title = CATALOGUE[code]
    return ProblemType(code=code, status=status, title=title)
