"""factory_boy factories for projects (rows written directly: no events)."""

from __future__ import annotations

from typing import Any

import factory

from payvand.projects.models import Project


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    code = factory.Sequence(lambda n: f"P-{n:04d}")
    status = Project.Status.ACTIVE

    @factory.post_generation
    def members(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.members.add(*extracted)
