"""reverse"""
