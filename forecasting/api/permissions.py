from rest_framework import permissions


def is_resolver(user) -> bool:
    """Admins: staff users, or members of the "resolvers" group."""
    return bool(
        user and user.is_authenticated and (user.is_staff or user.groups.filter(name="resolvers").exists())
    )


class IsStaffOrReadOnly(permissions.BasePermission):
    message = "Only admins can create or edit questions."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_staff)


class IsResolver(permissions.BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request, view):
        return is_resolver(request.user)
